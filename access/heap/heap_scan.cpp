// Sequential heap scans: page-at-a-time visibility under one share lock, views handed out while
// the page stays pinned, a bulk-read ring for large tables, read-ahead. README.md ("Scans").
#include <algorithm>
#include <vector>

#include "access/heap/heapam.h"
#include "access/heap/heapam_internal.h"
#include "access/heap/prune.h"
#include "access/heap/visibility.h"
#include "storage/smgr/smgr.h"

namespace keel::access {
namespace {

// Blocks hinted ahead of the scan position (SmgrPrefetch) in one go.
constexpr uint32_t kReadAheadBlocks = 16;

}  // namespace

struct HeapScan::State {
  const Relation* rel;                  // the caller keeps the Relation alive for the scan
  transam::Snapshot snapshot;           // a copy: READ COMMITTED replaces the backend's own
  BlockNumber nblocks{0};               // fixed at scan start, as PostgreSQL's
  BlockNumber block{0};                 // the block `buffer` holds
  bool started = false;
  storage::Buffer buffer = storage::kInvalidBuffer;
  std::vector<storage::OffsetNumber> visible;  // offsets visible on the current page
  size_t next = 0;
  BlockNumber prefetched_until{0};
  storage::BufferAccessStrategy* strategy = nullptr;

  void Start() {
    nblocks = storage::SmgrNBlocks(rel->locator, ForkNumber::kMain);
    // Large tables use a ring so one scan does not evict the whole cache (PostgreSQL's 1/4).
    if (strategy == nullptr && nblocks.value() > static_cast<uint32_t>(storage::NBuffers() / 4)) {
      strategy = storage::GetAccessStrategy(storage::StrategyKind::kBulkRead);
    }
    started = false;
    visible.clear();
    next = 0;
    prefetched_until = BlockNumber(0);
  }

  void ReleaseCurrent() {
    if (buffer != storage::kInvalidBuffer) storage::ReleaseBuffer(buffer);
    buffer = storage::kInvalidBuffer;
  }

  // Reads `block` and collects its visible offsets (HP16).
  void LoadPage() {
    if (nblocks.value() > kReadAheadBlocks && block >= prefetched_until) {
      const uint32_t count = std::min(kReadAheadBlocks, nblocks.value() - block.value());
      storage::SmgrPrefetch(rel->locator, ForkNumber::kMain, block, static_cast<int>(count));
      prefetched_until = BlockNumber(block.value() + count);
    }
    buffer = storage::ReadBuffer(rel->locator, ForkNumber::kMain, block, storage::ReadMode::kNormal,
                                 strategy);
    HeapPagePruneOpt(*rel, buffer);
    visible.clear();
    next = 0;
    storage::BufferLockGuard lock(buffer, storage::BufferLockMode::kShare);
    storage::Page page = storage::BufferGetPage(buffer);
    if (storage::PageIsNew(page)) return;  // extended, never written (a crash): empty
    const bool all_visible = internal::PageIsAllVisible(page);
    const int max_off = storage::PageMaxOffsetNumber(page);
    for (int off = storage::kFirstOffsetNumber; off <= max_off; ++off) {
      const auto o = static_cast<storage::OffsetNumber>(off);
      const storage::LinePointer* lp = storage::PageGetLinePointer(page, o);
      if (lp->state != static_cast<uint32_t>(storage::LinePointerState::kNormal)) continue;
      auto* tuple = reinterpret_cast<HeapTupleHeader*>(storage::PageGetItem(page, lp));
      if (all_visible || HeapTupleSatisfiesMvcc(tuple, snapshot, buffer)) visible.push_back(o);
    }
  }
};

HeapScan::HeapScan(const Relation& rel, const transam::Snapshot& snapshot)
    : state_(std::make_unique<State>()) {
  state_->rel = &rel;
  state_->snapshot = snapshot;
  state_->Start();
}

HeapScan::~HeapScan() {
  state_->ReleaseCurrent();
  if (state_->strategy != nullptr) storage::FreeAccessStrategy(state_->strategy);
}

bool HeapScan::Next(HeapTupleView* out) {
  State& s = *state_;
  for (;;) {
    if (s.buffer != storage::kInvalidBuffer && s.next < s.visible.size()) {
      const storage::OffsetNumber off = s.visible[s.next++];
      // Pinned: pruning (which needs a cleanup lock) cannot move or remove the tuple (HP16).
      storage::Page page = storage::BufferGetPage(s.buffer);
      const storage::LinePointer* lp = storage::PageGetLinePointer(page, off);
      out->self = {s.block, off};
      out->header = reinterpret_cast<const HeapTupleHeader*>(storage::PageGetItem(page, lp));
      out->size = lp->length;
      return true;
    }
    s.ReleaseCurrent();
    const BlockNumber block = s.started ? BlockNumber(s.block.value() + 1) : BlockNumber(0);
    if (block >= s.nblocks) {
      s.block = s.nblocks;
      s.started = true;
      return false;
    }
    s.block = block;
    s.started = true;
    s.LoadPage();
  }
}

void HeapScan::Rescan() {
  state_->ReleaseCurrent();
  state_->Start();
}

}  // namespace keel::access
