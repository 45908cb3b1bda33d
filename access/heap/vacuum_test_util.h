// Test helpers for the pruning, visibility-map and VACUUM tests: a logical picture of a heap's
// pages (line pointers, tuple identity and payload, all-visible flag and map bit, free space)
// to compare before and after crash recovery, and small transaction wrappers.
// Test-only; see README.md ("Tests").
#pragma once

#include <gtest/gtest.h>

#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "access/heap/heap_test_util.h"
#include "access/heap/heap_tuple.h"
#include "access/heap/heapam.h"
#include "access/heap/vacuum.h"
#include "access/heap/visibility_map.h"
#include "access/transam/wal.h"
#include "access/transam/xact.h"
#include "storage/buffer/bufmgr.h"
#include "storage/page/page.h"
#include "storage/smgr/smgr.h"

namespace keel::access::testing {

// One line per page and per line pointer; hint bits (infomask) are left out: they are not
// WAL-logged and may differ after redo.
inline std::string DescribeHeap(const Relation& rel) {
  std::ostringstream out;
  const BlockNumber nblocks = storage::SmgrNBlocks(rel.locator, ForkNumber::kMain);
  storage::Buffer vm = storage::kInvalidBuffer;
  for (uint32_t b = 0; b < nblocks.value(); ++b) {
    storage::PinnedBuffer pin(storage::ReadBuffer(rel.locator, ForkNumber::kMain, BlockNumber(b)));
    storage::BufferLockGuard lock(pin.get(), storage::BufferLockMode::kShare);
    storage::Page page = storage::BufferGetPage(pin.get());
    const storage::PageHeader* h = storage::GetPageHeader(page);
    out << "block " << b << " new=" << storage::PageIsNew(page)
        << " allvisible=" << ((h->flags & storage::kPageAllVisible) != 0)
        << " vm=" << VisibilityMapIsAllVisible(rel, BlockNumber(b), &vm)
        << " free=" << storage::PageGetFreeSpace(page) << " prune_xid=" << h->prune_xid << "\n";
    if (storage::PageIsNew(page)) continue;
    const int max_offset = storage::PageMaxOffsetNumber(page);
    for (int off = 1; off <= max_offset; ++off) {
      storage::LinePointer* lp =
          storage::PageGetLinePointer(page, static_cast<storage::OffsetNumber>(off));
      out << "  " << off << ": state=" << lp->state;
      if (lp->state == static_cast<uint32_t>(storage::LinePointerState::kRedirect)) {
        out << " to=" << lp->offset;
      } else if (lp->state == static_cast<uint32_t>(storage::LinePointerState::kNormal)) {
        auto* t = reinterpret_cast<HeapTupleHeader*>(storage::PageGetItem(page, lp));
        out << " xmin=" << t->xmin << " xmax=" << t->xmax << " ctid=("
            << t->ctid_block << "," << t->ctid_offset << ") i2=" << t->infomask2
            << " data=" << Payload(t, lp->length);
      }
      out << "\n";
    }
  }
  if (vm != storage::kInvalidBuffer) storage::ReleaseBuffer(vm);
  return out.str();
}

inline VacuumStats VacuumCommitted(const Relation& rel, const VacuumParams& params = {}) {
  transam::StartTransaction();
  VacuumStats stats = HeapVacuum(rel, params);
  transam::CommitTransaction();
  return stats;
}

// Deletes `tid` in its own committed transaction.
inline void DeleteCommitted(const Relation& rel, storage::ItemPointer tid) {
  transam::StartTransaction();
  TmFailureData tmfd;
  const TmResult r = HeapDelete(rel, tid, transam::GetCurrentCommandId(true), nullptr, true, &tmfd);
  EXPECT_EQ(r, TmResult::kOk) << storage::ItemPointerToString(tid);
  transam::CommitTransaction();
}

// Updates `tid` to `payload` in its own committed transaction; returns the new tid.
inline storage::ItemPointer UpdateCommitted(const Relation& rel, storage::ItemPointer tid,
                                            std::string_view payload, bool hot_allowed,
                                            bool* used_hot = nullptr) {
  transam::StartTransaction();
  HeapTuple t = MakeTuple(payload);
  TmFailureData tmfd;
  bool hot = false;
  const TmResult r = HeapUpdate(rel, tid, t, transam::GetCurrentCommandId(true), nullptr, true,
                                &tmfd, hot_allowed, &hot);
  EXPECT_EQ(r, TmResult::kOk) << storage::ItemPointerToString(tid);
  transam::CommitTransaction();
  if (used_hot != nullptr) *used_hot = hot;
  return t.self;
}

// Every row visible to a fresh snapshot, by payload.
inline std::multiset<std::string> ScanPayloads(const Relation& rel) {
  std::multiset<std::string> out;
  transam::StartTransaction();
  {
    HeapScan scan(rel, transam::GetTransactionSnapshot());
    HeapTupleView v;
    while (scan.Next(&v)) out.insert(Payload(v));
  }
  transam::CommitTransaction();
  return out;
}

// Makes everything logged so far durable (VACUUM has no xid, so its commit flushes nothing).
inline void FlushAllWal() { transam::WalFlush(transam::WalInsertPosition()); }

}  // namespace keel::access::testing
