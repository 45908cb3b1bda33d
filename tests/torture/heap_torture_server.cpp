// keel-heap-torture-server: the real postmaster, auxiliary processes, buffer pool, WAL, crash
// recovery, transactions and heap, with a per-connection backend that speaks a line protocol
// instead of SQL, one transaction at a time:
//   PING -> PONG | INIT -> OK | BEGIN -> OK | PUT <key> <value> -> OK | DEL <key> -> OK
//   SAVEPOINT -> OK | ROLLBACKTO -> OK | COMMIT -> COMMITTED | ABORT -> ABORTED
//   PREPARE <gid> -> PREPARED | COMMITPREPARED <gid> -> COMMITTED
//   ROLLBACKPREPARED <gid> -> ABORTED | PREPAREDLIST -> "PREPAREDLIST <gid> ..."
//   DUMP -> "<key>=<value> ..." (a new transaction's snapshot) | VACUUM -> OK <removed>
//   CHECKPOINT -> OK | VERIFY -> OK <blocks>
//   STATS -> "live <n> dead <n> vacuums <n> autovacuums <n> blocks <n>"
//   VERSIONS <key> -> every stored version of the key, visible or not, with its header fields
//   and the commit-log status of xmin and xmax (for diagnosing a failed run)
// Any error answers "ERROR <message>" and rolls the transaction back. Rows are (key int8,
// value int8, filler) tuples in one heap relation. Used by heap_crash_torture_test; see
// tests/README.md.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <sstream>
#include <string>

#include "access/heap/heapam.h"
#include "access/heap/vacuum.h"
#include "access/transam/checkpoint.h"
#include "access/transam/clog.h"
#include "access/transam/transam.h"
#include "access/transam/twophase.h"
#include "access/transam/xact.h"
#include "backend/utils/activity/table_stats.h"
#include "backend/utils/error/error.h"
#include "backend/utils/init/process_exit.h"
#include "postmaster/postmaster.h"
#include "storage/buffer/bufmgr.h"
#include "storage/file/file_io.h"
#include "storage/ipc/proc_array.h"
#include "storage/lmgr/lock.h"
#include "storage/page/page.h"
#include "storage/smgr/smgr.h"
#include "tests/torture/line_connection.h"

namespace keel::torture {
namespace {

access::Relation TortureHeap() {
  access::Relation rel;
  rel.id = Oid(16385);
  rel.db = Oid(1);
  rel.locator = RelFileLocator{Oid(1663), Oid(1), Oid(16385)};
  rel.name = "torture_heap";
  return rel;
}

const access::Relation kHeap = TortureHeap();
constexpr int kNatts = 3;
constexpr size_t kDataOffset = 32;  // HeapTupleHeaderLength(3, false)

// A (key, value, filler) row: the filler's length varies with the value so that updates
// sometimes fit on the page (HOT) and sometimes do not.
access::HeapTuple MakeRow(int64_t key, int64_t value) {
  size_t filler = static_cast<size_t>(value % 7) * 40;
  access::HeapTuple tuple(kDataOffset + 16 + filler);
  memset(tuple.data(), 0, tuple.size());
  access::HeapTupleHeader* header = tuple.header();
  header->infomask2 = kNatts;
  header->hoff = kDataOffset;
  memcpy(tuple.data() + kDataOffset, &key, 8);
  memcpy(tuple.data() + kDataOffset + 8, &value, 8);
  memset(tuple.data() + kDataOffset + 16, 'x', filler);
  return tuple;
}

struct Row {
  storage::ItemPointer tid;
  int64_t value;
};

int64_t FieldAt(const access::HeapTupleHeader* header, size_t at) {
  int64_t v;
  memcpy(&v, reinterpret_cast<const std::byte*>(header) + header->hoff + at, 8);
  return v;
}

// The relation lock a statement takes, as the executor will: VACUUM's truncation (which takes
// AccessExclusiveLock) must not pull pages from under a scan or an insert.
void LockTable(storage::LockMode mode) {
  (void)storage::LockAcquire(storage::RelationLockTag(kHeap.db.value(), kHeap.id.value()), mode);
}

// Every visible row under the statement's snapshot, by key. A key seen twice is corruption.
std::map<int64_t, Row> VisibleRows() {
  LockTable(storage::LockMode::kAccessShare);
  std::map<int64_t, Row> rows;
  access::HeapScan scan(kHeap, transam::GetTransactionSnapshot());
  access::HeapTupleView view;
  while (scan.Next(&view)) {
    int64_t key = FieldAt(view.header, 0);
    if (!rows.emplace(key, Row{view.self, FieldAt(view.header, 8)}).second) {
      throw Error(sqlstate::kDataCorrupted, "key " + std::to_string(key) + " is visible twice");
    }
  }
  return rows;
}

std::string DoInit() {
  if (mkdir("base/1", 0700) != 0 && errno != EEXIST) return "ERROR could not create base/1";
  if (storage::FsyncDirectory("base") != 0) return "ERROR could not fsync base";
  if (storage::SmgrExists(kHeap.locator, ForkNumber::kMain)) return "OK";
  transam::StartTransaction();
  access::HeapCreateStorage(kHeap);
  transam::CommitTransaction();
  return "OK";
}

void CheckAbort(access::TmResult result, const char* what) {
  if (result == access::TmResult::kOk) return;
  throw Error(SqlState{"40001"},
              std::string("could not ") + what + ": result " +
                  std::to_string(static_cast<int>(result)));
}

std::string DoPut(int64_t key, int64_t value) {
  LockTable(storage::LockMode::kRowExclusive);
  CommandId cid = transam::GetCurrentCommandId(true);
  std::map<int64_t, Row> rows = VisibleRows();
  access::HeapTuple tuple = MakeRow(key, value);
  auto it = rows.find(key);
  if (it == rows.end()) {
    (void)access::HeapInsert(kHeap, tuple, cid);
  } else {
    access::TmFailureData tmfd{};
    bool hot = false;
    CheckAbort(access::HeapUpdate(kHeap, it->second.tid, tuple, cid, nullptr, true, &tmfd,
                                  /*hot_allowed=*/true, &hot),
               "update");
  }
  transam::CommandCounterIncrement();
  return "OK";
}

std::string DoDel(int64_t key) {
  LockTable(storage::LockMode::kRowExclusive);
  CommandId cid = transam::GetCurrentCommandId(true);
  std::map<int64_t, Row> rows = VisibleRows();
  auto it = rows.find(key);
  if (it != rows.end()) {
    access::TmFailureData tmfd{};
    CheckAbort(access::HeapDelete(kHeap, it->second.tid, cid, nullptr, true, &tmfd), "delete");
  }
  transam::CommandCounterIncrement();
  return "OK";
}

std::string DoDump() {
  transam::StartTransaction();
  std::map<int64_t, Row> rows = VisibleRows();
  transam::CommitTransaction();
  std::string out = "ROWS";
  for (const auto& [key, row] : rows) out += " " + std::to_string(key) + "=" + std::to_string(row.value);
  return out;
}

std::string DoVacuum() {
  transam::StartTransaction();
  access::VacuumStats stats = access::HeapVacuum(kHeap, access::VacuumParams{});
  transam::CommitTransaction();
  return "OK " + std::to_string(stats.tuples_removed);
}

std::string DoVerify() {
  storage::SmgrClose(kHeap.locator);
  uint32_t blocks = storage::SmgrNBlocks(kHeap.locator, ForkNumber::kMain).value();
  for (uint32_t block = 0; block < blocks; ++block) {
    alignas(8) std::byte page[kBlockSize];
    storage::SmgrRead(kHeap.locator, ForkNumber::kMain, BlockNumber(block), page);
    if (!storage::PageIsNew(page) && !storage::PageVerifyChecksum(page, BlockNumber(block))) {
      return "ERROR checksum mismatch on disk in block " + std::to_string(block);
    }
  }
  return "OK " + std::to_string(blocks);
}

std::string DoStats() {
  stats::TableStats s{};
  (void)stats::GetTableStats(kHeap.db, kHeap.id, &s);
  storage::SmgrClose(kHeap.locator);
  uint32_t blocks = storage::SmgrNBlocks(kHeap.locator, ForkNumber::kMain).value();
  return "live " + std::to_string(s.live_tuples) + " dead " + std::to_string(s.dead_tuples) +
         " vacuums " + std::to_string(s.vacuum_count) + " autovacuums " +
         std::to_string(s.autovacuum_count) + " blocks " + std::to_string(blocks);
}

const char* StatusName(TransactionId xid) {
  if (!transam::TransactionIdIsNormal(xid)) return "-";
  if (xid >= transam::ReadNextTransactionId()) return "future";
  switch (transam::TransactionIdGetStatus(xid)) {
    case transam::XidStatus::kInProgress: return "in-progress";
    case transam::XidStatus::kCommitted: return "committed";
    case transam::XidStatus::kAborted: return "aborted";
    case transam::XidStatus::kSubCommitted: return "sub-committed";
  }
  return "?";
}

std::string DoVersions(int64_t key) {
  std::string out = "VERSIONS";
  uint32_t blocks = storage::SmgrNBlocks(kHeap.locator, ForkNumber::kMain).value();
  for (uint32_t block = 0; block < blocks; ++block) {
    storage::PinnedBuffer pin(storage::ReadBuffer(kHeap.locator, ForkNumber::kMain, BlockNumber(block)));
    storage::BufferLockGuard lock(pin.get(), storage::BufferLockMode::kShare);
    storage::Page page = storage::BufferGetPage(pin.get());
    int max = storage::PageMaxOffsetNumber(page);
    for (int off = 1; off <= max; ++off) {
      storage::LinePointer* lp = storage::PageGetLinePointer(page, static_cast<storage::OffsetNumber>(off));
      if (lp->state != static_cast<uint32_t>(storage::LinePointerState::kNormal)) continue;
      auto* header = reinterpret_cast<access::HeapTupleHeader*>(storage::PageGetItem(page, lp));
      if (FieldAt(header, 0) != key) continue;
      char text[400];
      snprintf(text, sizeof(text),
               " [(%u,%d) value %lld xmin %llu %s xmax %llu %s cid %u infomask 0x%04x "
               "infomask2 0x%04x ctid (%u,%u) page-lsn %llx]",
               block, off, static_cast<long long>(FieldAt(header, 8)),
               static_cast<unsigned long long>(header->xmin), StatusName(header->Xmin()),
               static_cast<unsigned long long>(header->xmax), StatusName(header->Xmax()),
               header->cid, header->infomask, header->infomask2, header->ctid_block,
               header->ctid_offset,
               static_cast<unsigned long long>(storage::PageGetLsn(page).value()));
      out += text;
    }
  }
  return out;
}

std::string Execute(const std::string& line) {
  std::istringstream in(line);
  std::string command;
  in >> command;
  int64_t key = 0;
  int64_t value = 0;
  if (command == "PING") return "PONG";
  if (command == "INIT") return DoInit();
  if (command == "BEGIN") {
    transam::StartTransaction();
    return "OK";
  }
  if (command == "PUT") {
    in >> key >> value;
    return DoPut(key, value);
  }
  if (command == "DEL") {
    in >> key;
    return DoDel(key);
  }
  if (command == "SAVEPOINT") {
    transam::DefineSavepoint("s");
    return "OK";
  }
  if (command == "ROLLBACKTO") {
    transam::RollbackToSavepoint("s");
    return "OK";
  }
  if (command == "COMMIT") {
    transam::CommitTransaction();
    return "COMMITTED";
  }
  if (command == "ABORT") {
    transam::AbortTransaction();
    return "ABORTED";
  }
  if (command == "PREPARE" || command == "COMMITPREPARED" || command == "ROLLBACKPREPARED") {
    std::string gid;
    in >> gid;
    if (command == "PREPARE") return transam::PrepareTransaction(gid) ? "PREPARED" : "ABORTED";
    transam::FinishPreparedTransaction(gid, command == "COMMITPREPARED");
    return command == "COMMITPREPARED" ? "COMMITTED" : "ABORTED";
  }
  if (command == "PREPAREDLIST") {
    std::string out = "PREPAREDLIST";
    for (const auto& info : transam::ListPreparedTransactions()) out += " " + info.gid;
    return out;
  }
  if (command == "DUMP") return DoDump();
  if (command == "VACUUM") return DoVacuum();
  if (command == "VERIFY") return DoVerify();
  if (command == "STATS") return DoStats();
  if (command == "VERSIONS") {
    in >> key;
    return DoVersions(key);
  }
  if (command == "CHECKPOINT") {
    transam::RequestCheckpoint(transam::kCheckpointImmediate | transam::kCheckpointForce |
                               transam::kCheckpointWait);
    return "OK";
  }
  return "ERROR unknown command";
}

// An open transaction dies with the connection; an error rolls it back (and releases LWLocks,
// buffer pins and heavyweight locks).
void AbortCleanup() { transam::AbortTransaction(); }

[[noreturn]] void HeapTortureBackendMain(int client_fd) {
  ServeLines(client_fd, &Execute, &AbortCleanup);
}

}  // namespace
}  // namespace keel::torture

int main(int argc, char** argv) {
  keel::postmaster::ServerHooks hooks;
  hooks.backend_main = &keel::torture::HeapTortureBackendMain;
  return keel::postmaster::PostmasterMain(argc, argv, hooks);
}
