// keel-torture-server: the real postmaster, auxiliary processes, buffer pool, WAL and crash
// recovery, with a per-connection backend that speaks a line protocol instead of SQL:
//   PING -> PONG | INIT -> OK | SET <slot> <value> -> OK <lsn> | COMMIT -> COMMITTED <lsn>
//   DUMP -> <value> x kSlots | VERIFY -> OK <blocks> | CHECKPOINT -> OK
// Errors answer "ERROR <message>". Used by crash_torture_test; see tests/README.md.
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>
#include <string>

#include "access/transam/checkpoint.h"
#include "access/transam/wal.h"
#include "access/transam/wal_reader.h"
#include "access/transam/wal_record.h"
#include "access/transam/wal_xlog.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/log.h"
#include "backend/utils/init/interrupts.h"
#include "backend/utils/init/process_exit.h"
#include "postmaster/postmaster.h"
#include "storage/buffer/bufmgr.h"
#include "storage/ipc/latch.h"
#include "storage/ipc/proc_array.h"
#include "storage/file/file_io.h"
#include "storage/ipc/process_context.h"
#include "storage/lmgr/lwlock.h"
#include "storage/page/page.h"
#include "storage/smgr/smgr.h"
#include "tests/torture/line_connection.h"
#include "tests/torture/torture_rmgr.h"

namespace keel::torture {

void TortureInitPage(storage::Page page);

namespace {

uint64_t* SlotsOf(storage::Page page) {
  return reinterpret_cast<uint64_t*>(
      storage::PageGetItem(page, storage::PageGetLinePointer(page, storage::kFirstOffsetNumber)));
}

std::string DoInit() {
  // The database directory: CREATE DATABASE makes these once catalogs exist (issue 6).
  if (mkdir("base/1", 0700) != 0 && errno != EEXIST) return "ERROR could not create base/1";
  if (storage::FsyncDirectory("base") != 0) return "ERROR could not fsync base";
  if (storage::SmgrExists(kRelation, ForkNumber::kMain) &&
      storage::SmgrNBlocks(kRelation, ForkNumber::kMain).value() >= kBlocks) {
    return "OK";
  }
  if (!storage::SmgrExists(kRelation, ForkNumber::kMain)) {
    transam::LogAndCreateRelationFork(kRelation, ForkNumber::kMain);
  }
  while (storage::SmgrNBlocks(kRelation, ForkNumber::kMain).value() < kBlocks) {
    transam::WalRecordBuilder builder;
    auto [buffer, block] = storage::ExtendBuffer(kRelation, ForkNumber::kMain);
    storage::Page page = storage::BufferGetPage(buffer);
    TortureInitPage(page);
    storage::MarkBufferDirty(buffer);
    builder.RegisterBuffer(0, buffer, transam::kRegWillInit);
    Lsn lsn = builder.Insert(transam::RmgrId::kTest, kInitPage);
    storage::PageSetLsn(page, lsn);
    storage::UnlockBuffer(buffer);
    storage::ReleaseBuffer(buffer);
  }
  return "OK";
}

std::string DoSet(uint32_t slot, uint64_t value) {
  if (slot >= kSlots) return "ERROR slot out of range";
  struct {
    uint32_t index;
    uint32_t padding;
    uint64_t value;
  } data{slot % kSlotsPerPage, 0, value};
  transam::WalRecordBuilder builder;  // W6: allocated before the critical section
  storage::PinnedBuffer pinned(
      storage::ReadBuffer(kRelation, ForkNumber::kMain, BlockNumber(slot / kSlotsPerPage)));
  storage::LockBuffer(pinned.get(), storage::BufferLockMode::kExclusive);
  storage::Page page = storage::BufferGetPage(pinned.get());
  Lsn lsn;
  {
    // Critical section: page changed, record not yet in WAL.
    SlotsOf(page)[data.index] = value;
    storage::MarkBufferDirty(pinned.get());
    builder.RegisterBuffer(0, pinned.get(), transam::kRegStandard);
    builder.RegisterBufData(0, &data, sizeof(data));
    lsn = builder.Insert(transam::RmgrId::kTest, kSetSlot);
    storage::PageSetLsn(page, lsn);
  }
  storage::UnlockBuffer(pinned.get());
  return "OK " + transam::LsnToString(lsn);
}

std::string DoCommit(uint64_t sequence) {
  transam::WalRecordBuilder builder;
  builder.RegisterData(&sequence, sizeof(sequence));
  Lsn lsn = builder.Insert(transam::RmgrId::kTest, kCommit);
  transam::WalFlush(lsn);
  return "COMMITTED " + transam::LsnToString(lsn);
}

std::string DoDump() {
  std::string out;
  out.reserve(kSlots * 4);
  for (uint32_t block = 0; block < kBlocks; ++block) {
    storage::PinnedBuffer pinned(storage::ReadBuffer(kRelation, ForkNumber::kMain, BlockNumber(block)));
    storage::BufferLockGuard lock(pinned.get(), storage::BufferLockMode::kShare);
    const uint64_t* slots = SlotsOf(storage::BufferGetPage(pinned.get()));
    for (uint32_t i = 0; i < kSlotsPerPage; ++i) {
      if (!out.empty()) out += ' ';
      out += std::to_string(slots[i]);
    }
  }
  return out;
}

std::string DoVerify() {
  // Every page through the read path: header and checksum verified (XX001 otherwise).
  storage::SmgrClose(kRelation);
  uint32_t blocks = storage::SmgrNBlocks(kRelation, ForkNumber::kMain).value();
  for (uint32_t block = 0; block < blocks; ++block) {
    std::byte page[kBlockSize];
    storage::SmgrRead(kRelation, ForkNumber::kMain, BlockNumber(block), page);
    if (!storage::PageIsNew(page) && !storage::PageVerifyChecksum(page, BlockNumber(block))) {
      return "ERROR checksum mismatch on disk in block " + std::to_string(block);
    }
    storage::ReleaseBuffer(storage::ReadBuffer(kRelation, ForkNumber::kMain, BlockNumber(block)));
  }
  return "OK " + std::to_string(blocks);
}

std::string Execute(const std::string& line) {
  std::istringstream in(line);
  std::string command;
  in >> command;
  if (command == "PING") return "PONG";
  if (command == "INIT") return DoInit();
  if (command == "SET") {
    uint32_t slot = 0;
    uint64_t value = 0;
    in >> slot >> value;
    return DoSet(slot, value);
  }
  if (command == "COMMIT") {
    uint64_t sequence = 0;
    in >> sequence;
    return DoCommit(sequence);
  }
  if (command == "DUMP") return DoDump();
  if (command == "VERIFY") return DoVerify();
  if (command == "CHECKPOINT") {
    transam::RequestCheckpoint(transam::kCheckpointImmediate | transam::kCheckpointForce |
                               transam::kCheckpointWait);
    return "OK";
  }
  return "ERROR unknown command";
}

void ReleaseLowLevelResources() {
  storage::ReleaseAllLwLocks();  // content locks are LWLocks
  (void)storage::ReleaseAllBufferPins();
}

[[noreturn]] void TortureBackendMain(int client_fd) {
  ServeLines(client_fd, &Execute, &ReleaseLowLevelResources);
}

}  // namespace
}  // namespace keel::torture

int main(int argc, char** argv) {
  keel::torture::RegisterTortureRmgr();  // inherited by every child through fork
  keel::postmaster::ServerHooks hooks;
  hooks.backend_main = &keel::torture::TortureBackendMain;
  return keel::postmaster::PostmasterMain(argc, argv, hooks);
}
