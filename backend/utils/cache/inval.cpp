// Transactional cache invalidation; see inval.h and backend/utils/cache/README.md (V1-V8).
#include "backend/utils/cache/inval.h"

#include <unistd.h>

#include <cstring>
#include <exception>
#include <unordered_set>
#include <utility>
#include <vector>

#include "access/transam/xact.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/log.h"

namespace keel::cache {
namespace {

using storage::SharedInvalidationMessage;
using storage::SInvalKind;

struct MessageHash {
  size_t operator()(const SharedInvalidationMessage& msg) const noexcept {
    uint64_t words[2];
    std::memcpy(words, &msg, sizeof(words));
    return std::hash<uint64_t>()(words[0] * 0x9E3779B97F4A7C15ull ^ words[1]);
  }
};

// The messages of one (sub)transaction level (V1).
struct LevelMessages {
  std::vector<SharedInvalidationMessage> prior;    // earlier commands: applied locally (V2)
  std::vector<SharedInvalidationMessage> current;  // this command: not applied yet
  std::unordered_set<SharedInvalidationMessage, MessageHash> current_set;  // dedup of current

  void AddCurrent(const SharedInvalidationMessage& msg) {
    if (current_set.insert(msg).second) current.push_back(msg);
  }
};

// Process-local. levels[i] is nesting level i + 1; levels deeper than the transaction's
// current nesting are created lazily when a message is registered there.
std::vector<LevelMessages> levels;
// The process `levels` belongs to: a forked child inherits its parent's copy together with the
// parent's transaction, which access/transam forgets in the child (V9), so must we.
pid_t levels_pid = 0;

std::vector<LevelMessages>& Levels() {
  if (levels_pid != getpid()) {
    levels.clear();
    levels_pid = getpid();
  }
  return levels;
}

struct RowCallback {
  int cache_id;
  std::function<void(uint32_t, bool)> fn;
};
std::vector<RowCallback> row_callbacks;
std::vector<std::function<void(Oid)>> relcache_callbacks;
std::vector<std::function<void(Oid)>> catalog_callbacks;
std::vector<std::function<void(const RelFileLocator&)>> smgr_callbacks;
std::vector<std::function<void(Oid)>> snapshot_callbacks;
std::vector<std::function<void()>> reset_callbacks;
Oid my_database = kInvalidOid;

// Runs `msg`'s callbacks in this process (V7: other databases' messages are skipped, except
// smgr messages, which are about files).
void LocalExecute(const SharedInvalidationMessage& msg) {
  const bool other_db = my_database != kInvalidOid && msg.db_oid != 0 &&
                        msg.db_oid != my_database.value();
  if (msg.IsCatalogRow()) {
    if (other_db) return;
    for (const RowCallback& cb : row_callbacks) {
      if (cb.cache_id == msg.id) cb.fn(msg.u.hash_value, false);
    }
    return;
  }
  switch (msg.kind()) {
    case SInvalKind::kCatalog:
      if (other_db) return;
      for (const auto& fn : catalog_callbacks) fn(Oid(msg.u.catalog_oid));
      return;
    case SInvalKind::kRelcache:
      if (other_db) return;
      for (const auto& fn : relcache_callbacks) fn(Oid(msg.u.rel_oid));
      return;
    case SInvalKind::kSmgr: {
      const RelFileLocator locator = storage::SmgrInvalLocator(msg);
      for (const auto& fn : smgr_callbacks) fn(locator);
      return;
    }
    case SInvalKind::kSnapshot:
      if (other_db) return;
      for (const auto& fn : snapshot_callbacks) fn(Oid(msg.u.catalog_oid));
      return;
  }
  Log(Severity::kWarning, "unrecognized cache invalidation message id %d", msg.id);
}

// V5: everything may be stale.
void ResetAll() {
  for (const auto& fn : reset_callbacks) fn();
  for (const RowCallback& cb : row_callbacks) cb.fn(0, true);
  for (const auto& fn : relcache_callbacks) fn(kInvalidOid);
}

void LocalExecuteAll(const std::vector<SharedInvalidationMessage>& msgs) {
  for (const SharedInvalidationMessage& msg : msgs) LocalExecute(msg);
}

// For end-of-transaction paths that must not throw: a callback that throws anyway is logged,
// and this backend resets its caches at its next AcceptInvalidationMessages.
void LocalExecuteAllNoThrow(const std::vector<SharedInvalidationMessage>& msgs) {
  try {
    LocalExecuteAll(msgs);
  } catch (const std::exception& e) {
    Log(Severity::kWarning, "cache invalidation callback failed: %s", e.what());
    storage::sinval_internal::MarkSelfReset();
  } catch (...) {
    // Nothing may escape into CommitTransaction / AbortTransaction (the commit is durable).
    Log(Severity::kWarning, "cache invalidation callback failed with an unknown exception");
    storage::sinval_internal::MarkSelfReset();
  }
}

// V2: the finished command's messages take effect locally.
void AtCommandEnd() {
  for (LevelMessages& level : Levels()) {
    if (level.current.empty()) continue;
    // Moved to `prior` first: a callback that throws must not leave them to be applied twice
    // as "current" (applying twice is harmless, but not applying at abort would not be).
    std::vector<SharedInvalidationMessage> done = std::move(level.current);
    level.current.clear();
    level.current_set.clear();
    level.prior.insert(level.prior.end(), done.begin(), done.end());
    LocalExecuteAll(done);
  }
}

// V3: all levels' messages, send them, apply the not yet applied ones locally.
void AtCommit() {
  if (Levels().empty()) return;
  std::vector<SharedInvalidationMessage> all;
  std::vector<SharedInvalidationMessage> unapplied;
  try {
    for (LevelMessages& level : Levels()) {
      all.insert(all.end(), level.prior.begin(), level.prior.end());
      all.insert(all.end(), level.current.begin(), level.current.end());
      unapplied.insert(unapplied.end(), level.current.begin(), level.current.end());
    }
    levels.clear();
    storage::SendSharedInvalidMessages(all);
  } catch (const std::exception& e) {
    // The transaction is committed: other backends would keep stale caches forever.
    Panic("could not send cache invalidation messages at commit: %s", e.what());
  } catch (...) {
    Panic("could not send cache invalidation messages at commit");
  }
  LocalExecuteAllNoThrow(unapplied);
}

// V3: nothing is sent; what the caches may have picked up from this transaction is dropped.
void AtAbort() {
  std::vector<LevelMessages> aborted = std::move(Levels());
  levels.clear();
  for (const LevelMessages& level : aborted) {
    LocalExecuteAllNoThrow(level.prior);
    LocalExecuteAllNoThrow(level.current);
  }
}

// V3: level `nesting_level` merges into its parent.
void AtSubCommit(int nesting_level) {
  KEEL_ASSERT(nesting_level >= 2);
  const size_t idx = static_cast<size_t>(nesting_level - 1);
  if (Levels().size() <= idx) return;  // nothing registered at that depth
  while (levels.size() > idx) {
    LevelMessages child = std::move(levels.back());
    levels.pop_back();
    LevelMessages& parent = levels.back();
    parent.prior.insert(parent.prior.end(), child.prior.begin(), child.prior.end());
    for (const SharedInvalidationMessage& msg : child.current) parent.AddCurrent(msg);
  }
}

// V3: level `nesting_level` (and anything deeper) is undone locally and discarded.
void AtSubAbort(int nesting_level) {
  KEEL_ASSERT(nesting_level >= 2);
  const size_t idx = static_cast<size_t>(nesting_level - 1);
  while (Levels().size() > idx) {
    LevelMessages child = std::move(levels.back());
    levels.pop_back();
    LocalExecuteAllNoThrow(child.prior);
    LocalExecuteAllNoThrow(child.current);
  }
}

void OnXactEvent(transam::XactHookEvent event, int nesting_level) {
  switch (event) {
    case transam::XactHookEvent::kCommandCounterIncrement:
      AtCommandEnd();
      return;
    case transam::XactHookEvent::kCommitBeforeLockRelease:
      AtCommit();
      return;
    case transam::XactHookEvent::kAbortBeforeLockRelease:
      AtAbort();
      return;
    case transam::XactHookEvent::kPrePrepare:
      // V10: the messages cannot travel with a prepared transaction yet (README, "Not yet"):
      // COMMIT PREPARED would leave other backends' caches stale, so refuse.
      if (PendingInvalidationCount() > 0) {
        throw Error(sqlstate::kFeatureNotSupported,
                    "cannot PREPARE a transaction that has modified the system catalogs");
      }
      return;
    case transam::XactHookEvent::kPrepare:
      // Nothing is pending (kPrePrepare refused otherwise, V10); drop whatever is left.
      AtAbort();
      return;
    case transam::XactHookEvent::kSubStart:
      return;
    case transam::XactHookEvent::kSubCommit:
      AtSubCommit(nesting_level);
      return;
    case transam::XactHookEvent::kSubAbort:
      AtSubAbort(nesting_level);
      return;
  }
}

void EnsureXactHook() {
  static bool registered = false;  // inherited by children: the hook list is inherited too
  if (!registered) {
    transam::RegisterXactHook(&OnXactEvent);
    registered = true;
  }
}

}  // namespace

void RegisterInvalidationMessage(const SharedInvalidationMessage& msg) {
  if (!transam::IsTransactionActive()) {
    throw Error(sqlstate::kInternalError,
                "cannot register cache invalidation outside a transaction");
  }
  EnsureXactHook();
  const size_t depth = static_cast<size_t>(transam::TransactionNestingLevel());
  if (Levels().size() < depth) levels.resize(depth);
  // Deeper levels are left only if a sub-commit hook was missed: they belong to this one now.
  if (levels.size() > depth) AtSubCommit(static_cast<int>(depth) + 1);
  levels[depth - 1].AddCurrent(msg);
}

void CacheInvalidateRelcache(Oid db, Oid rel) {
  RegisterInvalidationMessage(storage::MakeRelcacheInval(db, rel));
}

void CacheInvalidateRelcacheAll() {
  RegisterInvalidationMessage(storage::MakeRelcacheInval(kInvalidOid, kInvalidOid));
}

void CacheInvalidateCatalogRow(int cache_id, uint32_t hash_value, Oid db) {
  if (cache_id < 0 || cache_id > storage::kSInvalMaxCacheId) {
    throw Error(sqlstate::kInternalError, "invalid catalog cache id " + std::to_string(cache_id));
  }
  RegisterInvalidationMessage(storage::MakeCatalogRowInval(cache_id, hash_value, db));
}

void CacheInvalidateCatalog(Oid catalog, Oid db) {
  RegisterInvalidationMessage(storage::MakeCatalogInval(catalog, db));
}

void CacheInvalidateSmgr(const RelFileLocator& locator) {
  RegisterInvalidationMessage(storage::MakeSmgrInval(locator));
}

void CacheRegisterCatalogRowCallback(int cache_id,
                                     std::function<void(uint32_t hash_value, bool all_rows)> fn) {
  KEEL_ASSERT(cache_id >= 0 && cache_id <= storage::kSInvalMaxCacheId);
  EnsureXactHook();
  row_callbacks.push_back(RowCallback{cache_id, std::move(fn)});
}

void CacheRegisterRelcacheCallback(std::function<void(Oid rel)> fn) {
  EnsureXactHook();
  relcache_callbacks.push_back(std::move(fn));
}

void CacheRegisterCatalogCallback(std::function<void(Oid catalog)> fn) {
  EnsureXactHook();
  catalog_callbacks.push_back(std::move(fn));
}

void CacheRegisterSmgrCallback(std::function<void(const RelFileLocator& locator)> fn) {
  EnsureXactHook();
  smgr_callbacks.push_back(std::move(fn));
}

void CacheRegisterSnapshotCallback(std::function<void(Oid catalog)> fn) {
  EnsureXactHook();
  snapshot_callbacks.push_back(std::move(fn));
}

void CacheRegisterResetCallback(std::function<void()> fn) {
  EnsureXactHook();
  reset_callbacks.push_back(std::move(fn));
}

void SetInvalidationDatabase(Oid db) { my_database = db; }

int AcceptInvalidationMessages() {
  return storage::ReceiveSharedInvalidMessages(
      [](const SharedInvalidationMessage& msg) { LocalExecute(msg); }, [] { ResetAll(); });
}

storage::LockResult LockRelationOid(Oid db, Oid rel, storage::LockMode mode, bool dont_wait) {
  const storage::LockTag tag = storage::RelationLockTag(db.value(), rel.value());
  const bool already_held = storage::LockHeldByMe(tag, mode);
  const storage::LockResult result = storage::LockAcquire(tag, mode, dont_wait);
  // V8: a first acquisition may have waited for a committer that sent invalidations just
  // before releasing this lock.
  if (result == storage::LockResult::kAcquired && !already_held) AcceptInvalidationMessages();
  return result;
}

int PendingInvalidationCount() {
  size_t n = 0;
  for (const LevelMessages& level : Levels()) n += level.prior.size() + level.current.size();
  return static_cast<int>(n);
}

std::vector<SharedInvalidationMessage> PendingInvalidationMessages() {
  std::vector<SharedInvalidationMessage> out;
  for (const LevelMessages& level : Levels()) {
    out.insert(out.end(), level.prior.begin(), level.prior.end());
    out.insert(out.end(), level.current.begin(), level.current.end());
  }
  return out;
}

}  // namespace keel::cache
