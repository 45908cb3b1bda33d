// The XLOG and Storage resource managers: redo, describe and identify for checkpoints, no-ops,
// full-page images, end of recovery, relation file create and truncate; the functions that
// log those changes; and the per-process WAL set-up. Main-data layouts: README.md.
#include "access/transam/wal_xlog.h"

#include <cinttypes>
#include <cstring>
#include <string>

#include "access/transam/redo_buffer.h"
#include "access/transam/rmgr.h"
#include "access/transam/wal_reader.h"
#include "access/transam/wal_record.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "storage/buffer/bufmgr.h"
#include "storage/page/page.h"
#include "storage/smgr/smgr.h"

namespace keel::transam {
namespace {

// Main data of `record` as a T; false (and a zeroed T) when the size is wrong.
template <typename T>
bool MainDataAs(const DecodedRecord& record, T* out) {
  std::memset(static_cast<void*>(out), 0, sizeof(T));
  if (record.main_data.size() != sizeof(T)) return false;
  std::memcpy(static_cast<void*>(out), record.main_data.data(), sizeof(T));
  return true;
}

// --- XLOG -----------------------------------------------------------------------------------

NextOidRedoFn next_oid_redo = nullptr;  // process-local; installed at start-up

void XlogRedo(const DecodedRecord& record) {
  if (record.info == kXlogNextOid) {
    uint32_t next_oid = 0;
    if (!MainDataAs(record, &next_oid)) {
      Panic("invalid NEXTOID record at %s", LsnToString(record.lsn).c_str());
    }
    if (next_oid_redo == nullptr) Panic("no oid counter to replay NEXTOID into");
    next_oid_redo(Oid(next_oid));  // O4: exactly the reservation, even when it wrapped (O5)
    return;
  }
  if (record.info == kXlogCheckpointShutdown) {
    // O4: nothing ran after a shutdown checkpoint was taken, so its value is exact. An online
    // checkpoint's value is ignored (PostgreSQL's rule): it was read at some moment between
    // its redo pointer and its record, and a NEXTOID record replayed just before it may
    // already be further along.
    CheckpointRecord c;
    if (!MainDataAs(record, &c)) {
      Panic("invalid checkpoint record at %s", LsnToString(record.lsn).c_str());
    }
    if (next_oid_redo != nullptr) next_oid_redo(Oid(c.next_oid));
    return;
  }
  if (record.info != kXlogFpi) return;  // online checkpoints, no-ops, end of recovery
  for (const DecodedBlockRef& block : record.blocks) {
    storage::Buffer buffer = storage::kInvalidBuffer;
    const RedoAction action = ReadBufferForRedo(record, block.block_id, &buffer);
    if (action != RedoAction::kRestored) {
      Panic("unexpected ReadBufferForRedo result when restoring backup block at %s",
            LsnToString(record.lsn).c_str());
    }
    storage::UnlockBuffer(buffer);
    storage::ReleaseBuffer(buffer);
  }
}

const char* XlogIdentify(uint8_t info) {
  switch (info) {
    case kXlogCheckpointShutdown: return "CHECKPOINT_SHUTDOWN";
    case kXlogCheckpointOnline: return "CHECKPOINT_ONLINE";
    case kXlogNoop: return "NOOP";
    case kXlogFpi: return "FPI";
    case kXlogEndOfRecovery: return "END_OF_RECOVERY";
    case kXlogNextOid: return "NEXTOID";
    default: return nullptr;
  }
}

std::string XlogDescribe(const DecodedRecord& record) {
  switch (record.info) {
    case kXlogCheckpointShutdown:
    case kXlogCheckpointOnline: {
      CheckpointRecord c;
      if (!MainDataAs(record, &c)) return "(invalid checkpoint record)";
      return Format("redo %s; tli %u; fpw %s; xid %" PRIu64 "; oid %u; multi %" PRIu64
                    "; offset %" PRIu64 "; time %" PRId64 "; %s",
                    LsnToString(Lsn(c.redo_lsn)).c_str(), c.timeline,
                    c.full_page_writes != 0 ? "true" : "false", c.next_xid, c.next_oid,
                    c.next_multi, c.next_multi_offset, c.time_s,
                    record.info == kXlogCheckpointShutdown ? "shutdown" : "online");
    }
    case kXlogEndOfRecovery: {
      EndOfRecoveryRecord e;
      if (!MainDataAs(record, &e)) return "(invalid end-of-recovery record)";
      return Format("tli %u; prev tli %u; time %" PRId64, e.timeline, e.prev_timeline, e.time_s);
    }
    case kXlogNextOid: {
      uint32_t next_oid = 0;
      if (!MainDataAs(record, &next_oid)) return "(invalid NEXTOID record)";
      return Format("%u", next_oid);  // as pg_waldump
    }
    default:
      return "";
  }
}

// --- Storage --------------------------------------------------------------------------------

[[nodiscard]] std::string ForkMaskText(uint8_t fork_mask) {
  std::string out;
  static const char* const kNames[] = {"main", "fsm", "vm", "init"};
  for (int f = 0; f <= kMaxForkNumber; ++f) {
    if ((fork_mask & (1u << f)) == 0) continue;
    if (!out.empty()) out += ",";
    out += kNames[f];
  }
  return out;
}

void StorageRedo(const DecodedRecord& record) {
  if (record.info == kStorageCreate) {
    StorageCreateRecord c;
    if (!MainDataAs(record, &c)) Panic("invalid storage create record at %s", LsnToString(record.lsn).c_str());
    CreateForkForRedo(c.rel, c.fork);  // D9: the database directory may be gone
  } else if (record.info == kStorageTruncate) {
    StorageTruncateRecord t;
    if (!MainDataAs(record, &t)) Panic("invalid storage truncate record at %s", LsnToString(record.lsn).c_str());
    // As PostgreSQL: the main fork may have been dropped later in the log; create it so the
    // truncation (and later records) have something to work on.
    CreateForkForRedo(t.rel, ForkNumber::kMain);
    for (int f = 0; f <= kMaxForkNumber; ++f) {
      if ((t.fork_mask & (1u << f)) == 0) continue;
      const auto fork = static_cast<ForkNumber>(f);
      if (!storage::SmgrExists(t.rel, fork)) continue;
      storage::DropRelationBuffers(t.rel, fork, t.nblocks);
      if (storage::SmgrNBlocks(t.rel, fork) > t.nblocks) storage::SmgrTruncate(t.rel, fork, t.nblocks);
    }
  }
}

const char* StorageIdentify(uint8_t info) {
  switch (info) {
    case kStorageCreate: return "CREATE";
    case kStorageTruncate: return "TRUNCATE";
    default: return nullptr;
  }
}

std::string StorageDescribe(const DecodedRecord& record) {
  if (record.info == kStorageCreate) {
    StorageCreateRecord c;
    if (!MainDataAs(record, &c)) return "(invalid create record)";
    return storage::RelationPath(c.rel, c.fork);
  }
  if (record.info == kStorageTruncate) {
    StorageTruncateRecord t;
    if (!MainDataAs(record, &t)) return "(invalid truncate record)";
    return Format("%s to %u blocks forks %s",
                  storage::RelationPath(t.rel, ForkNumber::kMain).c_str(), t.nblocks.value(),
                  ForkMaskText(t.fork_mask).c_str());
  }
  return "";
}

}  // namespace

void RegisterBuiltinRmgrs() {
  RegisterRmgr(RmgrId::kXlog, RmgrOps{"XLOG", XlogRedo, XlogDescribe, XlogIdentify});
  RegisterRmgr(RmgrId::kStorage, RmgrOps{"Storage", StorageRedo, StorageDescribe, StorageIdentify});
}

void SetNextOidRedoFunction(NextOidRedoFn fn) { next_oid_redo = fn; }

void InitWalAccess() {
  storage::SetWalFlushFunction(&WalFlush);  // WAL before data (B5)
  storage::SetWalNeedsFlushFunction(&WalNeedsFlush);
  RegisterBuiltinRmgrs();
}

void LogAndCreateRelationFork(const RelFileLocator& rel, ForkNumber fork) {
  StorageCreateRecord c{};
  c.rel = rel;
  c.fork = fork;
  WalRecordBuilder builder;
  builder.RegisterData(&c, sizeof(c));
  (void)builder.Insert(RmgrId::kStorage, kStorageCreate);
  storage::SmgrCreate(rel, fork, /*is_redo=*/false);
}

void LogAndTruncateRelation(const RelFileLocator& rel, uint8_t fork_mask, BlockNumber nblocks) {
  StorageTruncateRecord t{};
  t.rel = rel;
  t.nblocks = nblocks;
  t.fork_mask = fork_mask;
  WalRecordBuilder builder;
  builder.RegisterData(&t, sizeof(t));
  const Lsn lsn = builder.Insert(RmgrId::kStorage, kStorageTruncate);
  // W20: the record is durable before the file gets shorter, so after a crash redo never
  // meets a file shorter than the WAL before the truncation expects.
  WalFlush(lsn);
  for (int f = 0; f <= kMaxForkNumber; ++f) {
    if ((fork_mask & (1u << f)) == 0) continue;
    const auto fork = static_cast<ForkNumber>(f);
    storage::DropRelationBuffers(rel, fork, nblocks);
    if (storage::SmgrExists(rel, fork) && storage::SmgrNBlocks(rel, fork) > nblocks) {
      storage::SmgrTruncate(rel, fork, nblocks);
    }
  }
}

Lsn LogNewPage(const RelFileLocator& rel, ForkNumber fork, BlockNumber block, std::byte* page,
               bool standard_layout) {
  WalRecordBuilder builder;
  builder.RegisterBlock(0, rel, fork, block, page,
                        kRegForceImage | (standard_layout ? kRegStandard : 0));
  const Lsn lsn = builder.Insert(RmgrId::kXlog, kXlogFpi);
  // An all-zero page keeps LSN 0 so it still reads as new (PG6).
  if (!storage::PageIsNew(page)) storage::PageSetLsn(page, lsn);
  return lsn;
}

}  // namespace keel::transam
