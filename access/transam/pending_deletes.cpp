// Pending deletes: relation files and database directories whose removal waits for the end of
// the (sub)transaction that created or dropped them. README.md ("Pending deletes", D1-D9).
#include "access/transam/pending_deletes.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "access/transam/pending_deletes_internal.h"
#include "access/transam/wal_xlog.h"
#include "access/transam/xact.h"
#include "backend/utils/config/settings.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/log.h"
#include "storage/buffer/bufmgr.h"
#include "storage/file/file_io.h"
#include "storage/smgr/smgr.h"
#include "storage/sync/sync.h"

namespace keel::transam {
namespace {

struct PendingDelete {
  RelFileLocator locator;  // rel 0: the database directory (IsDatabaseDirectoryLocator)
  bool at_commit;          // true: a drop (removed at commit); false: a creation (at abort)
  int level;               // nesting level that registered it (D5 moves it on RELEASE)
};

// Process-local: the current transaction's entries, in registration order (D2).
std::vector<PendingDelete> pending;

bool LocatorLess(const RelFileLocator& a, const RelFileLocator& b) {
  if (a.spc != b.spc) return a.spc < b.spc;
  if (a.db != b.db) return a.db < b.db;
  return a.rel < b.rel;
}

std::vector<RelFileLocator> SortedUnique(std::vector<RelFileLocator> locators) {
  std::sort(locators.begin(), locators.end(), LocatorLess);
  locators.erase(std::unique(locators.begin(), locators.end()), locators.end());
  return locators;
}

// D1: an xid for the current level (its parents first), so the end of the transaction writes
// a record that can carry the entry. Throws 25P02 / XX000 like GetCurrentTransactionId.
void Remember(const RelFileLocator& locator, bool at_commit) {
  (void)GetCurrentTransactionId();
  pending.push_back(PendingDelete{locator, at_commit, TransactionNestingLevel()});
}

// The relation number at the start of a file name in a database directory ("16384_fsm.2"),
// or 0 when the name does not start with one.
uint32_t RelNumberOfFileName(const char* name) {
  uint64_t value = 0;
  int digits = 0;
  for (const char* p = name; *p >= '0' && *p <= '9' && digits < 10; ++p, ++digits) {
    value = value * 10 + static_cast<uint64_t>(*p - '0');
  }
  return digits > 0 && value <= 0xFFFFFFFFu ? static_cast<uint32_t>(value) : 0;
}

void SyncDirectoryOrWarn(const std::string& dir) {
  if (!settings::fsync) return;
  if (storage::FsyncDirectory(dir) != 0 && errno != ENOENT) {
    Log(Severity::kWarning, "could not fsync file \"%s\": %s", dir.c_str(),
        ErrnoText(errno).c_str());
  }
}

// D9: the buffers are gone already (DropPendingBuffers), then every pending fsync of a file in
// the directory (so the checkpointer does not PANIC on a vanished file, storage/sync SY4),
// then this process's descriptors, the files and the directory.
void RemoveDatabaseDirectory(const RelFileLocator& dir_locator) {
  const std::string path = PendingDeletePath(dir_locator);
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) {
    if (errno != ENOENT) {
      Log(Severity::kWarning, "could not open directory \"%s\": %s", path.c_str(),
          ErrnoText(errno).c_str());
    }
    return;  // D6: already gone (redo of a removal that happened before the crash)
  }
  std::vector<std::string> names;
  std::set<uint32_t> rel_numbers;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    names.push_back(name);
    if (const uint32_t rel = RelNumberOfFileName(entry->d_name); rel != 0) rel_numbers.insert(rel);
  }
  ::closedir(dir);
  for (uint32_t rel : rel_numbers) {
    const RelFileLocator locator{dir_locator.spc, dir_locator.db, Oid(rel)};
    storage::RegisterSyncRequest(storage::FileTag{locator, ForkNumber::kMain, 0},
                                 storage::SyncRequestKind::kForgetRelation);
    storage::SmgrClose(locator);
  }
  for (const std::string& name : names) {
    const std::string file = path + "/" + name;
    std::error_code ec;
    std::filesystem::remove_all(file, ec);  // a file; a stray subdirectory with its contents
    if (ec && ec != std::errc::no_such_file_or_directory) {
      Log(Severity::kWarning, "could not remove file \"%s\": %s", file.c_str(),
          ec.message().c_str());
    }
  }
  if (::rmdir(path.c_str()) != 0 && errno != ENOENT) {
    Log(Severity::kWarning, "could not remove directory \"%s\": %s", path.c_str(),
        ErrnoText(errno).c_str());
    return;
  }
  SyncDirectoryOrWarn(path.substr(0, path.rfind('/')));  // the removal is durable
}

}  // namespace

// --- the public API ----------------------------------------------------------------------------

void RelationCreateStorage(const RelFileLocator& locator, RelPersistence persistence) {
  KEEL_ASSERT(!IsDatabaseDirectoryLocator(locator));
  (void)GetCurrentTransactionId();  // D1, and 25P02 before anything is created
  pending.reserve(pending.size() + 1);  // nothing can fail between the file and its entry (D2)
  if (persistence == RelPersistence::kPermanent) {
    LogAndCreateRelationFork(locator, ForkNumber::kMain);  // W20: logged, then created
  } else {
    storage::SmgrCreate(locator, ForkNumber::kMain, /*is_redo=*/false);
  }
  Remember(locator, /*at_commit=*/false);
}

void RelationDropStorage(const RelFileLocator& locator) {
  KEEL_ASSERT(!IsDatabaseDirectoryLocator(locator));
  Remember(locator, /*at_commit=*/true);
}

void ScheduleDatabaseDirectoryRemoval(Oid spc, Oid db, bool at_commit) {
  KEEL_ASSERT(db != kInvalidOid);
  Remember(RelFileLocator{spc, db, kInvalidOid}, at_commit);
}

// --- the transaction manager's side -----------------------------------------------------------

std::vector<RelFileLocator> PendingDeletesAtEnd(bool commit) {
  std::vector<RelFileLocator> out;
  for (const PendingDelete& p : pending) {
    if (p.at_commit == commit) out.push_back(p.locator);
  }
  return SortedUnique(std::move(out));
}

std::vector<RelFileLocator> PendingCreatesFromLevel(int level) {
  std::vector<RelFileLocator> out;
  for (const PendingDelete& p : pending) {
    if (!p.at_commit && p.level >= level) out.push_back(p.locator);
  }
  return SortedUnique(std::move(out));
}

void DoPendingDeletes(bool commit) noexcept {
  if (pending.empty()) return;
  std::vector<RelFileLocator> todo;
  try {
    todo = PendingDeletesAtEnd(commit);
  } catch (const std::exception& e) {
    Log(Severity::kWarning, "could not remove storage at transaction end: %s", e.what());
  }
  pending.clear();
  UnlinkStorageNow(todo);
}

void DoSubAbortPendingDeletes(int level) noexcept {
  std::vector<RelFileLocator> todo;
  try {
    todo = PendingCreatesFromLevel(level);
  } catch (const std::exception& e) {
    Log(Severity::kWarning, "could not remove storage at subtransaction abort: %s", e.what());
  }
  std::erase_if(pending, [level](const PendingDelete& p) { return p.level >= level; });
  UnlinkStorageNow(todo);
}

void AtSubCommitPendingDeletes(int level) noexcept {
  for (PendingDelete& p : pending) {
    if (p.level >= level) p.level = level - 1;
  }
}

void ForgetPendingDeletes() noexcept { pending.clear(); }

void DropPendingBuffers(std::span<const RelFileLocator> locators, storage::DropWait wait) {
  for (const RelFileLocator& locator : locators) {
    // SM5 / B11 / D9: never written: the data is dead.
    if (IsDatabaseDirectoryLocator(locator)) {
      storage::DropDatabaseBuffers(locator.db, wait);
    } else {
      storage::DropRelationAllBuffers(locator, wait);
    }
  }
}

void UnlinkStorageNow(std::span<const RelFileLocator> locators) noexcept {
  for (const RelFileLocator& locator : locators) {
    try {
      if (IsDatabaseDirectoryLocator(locator)) {
        RemoveDatabaseDirectory(locator);
      } else {
        storage::SmgrUnlinkAfterCheckpoint(locator);
      }
    } catch (const std::exception& e) {
      Log(Severity::kWarning, "could not remove \"%s\": %s", PendingDeletePath(locator).c_str(),
          e.what());
    }
  }
}

void DropStorageNow(std::span<const RelFileLocator> locators) noexcept {
  // D6: each step on its own, so the files go even when the buffers could not all be dropped
  // (the uninterruptible drop does not throw today; this stays true if it ever does).
  for (const RelFileLocator& locator : locators) {
    try {
      DropPendingBuffers({&locator, 1}, storage::DropWait::kUninterruptible);
    } catch (const std::exception& e) {
      Log(Severity::kWarning, "could not drop buffers of \"%s\": %s",
          PendingDeletePath(locator).c_str(), e.what());
    }
  }
  UnlinkStorageNow(locators);
}

std::string PendingDeletePath(const RelFileLocator& locator) {
  if (IsDatabaseDirectoryLocator(locator)) {
    return locator.db == kInvalidOid ? std::string("global")
                                     : Format("base/%u", locator.db.value());
  }
  return storage::RelationPath(locator, ForkNumber::kMain);
}

}  // namespace keel::transam
