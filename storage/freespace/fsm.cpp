// The free space map over the _fsm fork: addressing of the three-level page tree, reading and
// extending map pages, recording, searching, vacuuming and truncating. README.md (F1-F8).
#include "storage/freespace/fsm.h"

#include <algorithm>
#include <array>

#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "storage/buffer/bufmgr.h"
#include "storage/freespace/fsm_page_internal.h"
#include "storage/smgr/smgr.h"

namespace keel::storage {
namespace {

using fsm::kSlotsPerPage;
using fsm::kTreeDepth;

// A map page by position in the tree: level 0 are the leaves (a slot per heap block), level
// kTreeDepth - 1 is the single root page; page_no counts the pages of one level from 0.
struct FsmAddress {
  int level;
  uint64_t page_no;
};
constexpr FsmAddress kRootAddress{kTreeDepth - 1, 0};

// F3: pages are stored in depth-first pre-order (a page, then its children's subtrees, left
// to right), so the map grows at its end as the heap grows. Let u(l) be the index of the
// level-l page on the path from the root to the first leaf page under `addr` (u(0) that leaf
// page, u(level) `addr` itself). On each level l above or at ours,
// pages 0..u(l) come no later than us (ancestors precede their subtrees); on each level below
// ours, pages 0..u(l)-1 come before us (u(l) itself is our first descendant).
uint64_t PhysicalBlock(FsmAddress addr) {
  uint64_t unit = addr.page_no;
  for (int l = 0; l < addr.level; ++l) unit *= kSlotsPerPage;  // u(0) = page_no * S^level
  uint64_t pages_up_to_us = 0;
  for (int l = 0; l < kTreeDepth; ++l) {
    if (l > 0) unit /= kSlotsPerPage;  // u(l) = u(0) / S^l
    pages_up_to_us += l >= addr.level ? unit + 1 : unit;
  }
  return pages_up_to_us - 1;
}

FsmAddress LeafFor(BlockNumber heap_block, int* slot) {
  *slot = static_cast<int>(heap_block.value() % kSlotsPerPage);
  return FsmAddress{0, heap_block.value() / kSlotsPerPage};
}
FsmAddress ParentOf(FsmAddress addr, int* slot) {
  *slot = static_cast<int>(addr.page_no % kSlotsPerPage);
  return FsmAddress{addr.level + 1, addr.page_no / kSlotsPerPage};
}
FsmAddress ChildOf(FsmAddress addr, int slot) {
  return FsmAddress{addr.level - 1, addr.page_no * kSlotsPerPage + static_cast<uint64_t>(slot)};
}
uint64_t HeapBlockOf(FsmAddress leaf, int slot) {
  return leaf.page_no * kSlotsPerPage + static_cast<uint64_t>(slot);
}

// RAII: a pinned map page, optionally content-locked.
class MapPage {
 public:
  MapPage() = default;
  explicit MapPage(Buffer buffer) : pin_(buffer) {}
  [[nodiscard]] bool valid() const { return pin_.get() != kInvalidBuffer; }
  [[nodiscard]] Buffer buffer() const { return pin_.get(); }
  [[nodiscard]] Page page() const { return BufferGetPage(pin_.get()); }
  void Lock(BufferLockMode mode) {
    LockBuffer(pin_.get(), mode);
    locked_ = true;
  }
  void Unlock() {
    if (locked_) UnlockBuffer(pin_.get());
    locked_ = false;
  }
  ~MapPage() { Unlock(); }
  MapPage(MapPage&&) = delete;

 private:
  PinnedBuffer pin_;
  bool locked_ = false;
};

void ExtendMap(const RelFileLocator& rel, BlockNumber want_blocks) {
  // Concurrent extenders may both append: an extra zero page is harmless (F4).
  while (SmgrNBlocks(rel, ForkNumber::kFsm) < want_blocks) {
    const auto [buffer, block] = ExtendBuffer(rel, ForkNumber::kFsm);
    (void)block;
    UnlockBuffer(buffer);
    ReleaseBuffer(buffer);
  }
}

// The map page at `addr`, pinned, or an invalid buffer when it does not exist and !extend.
// F4: a page read as zeroes (never written, or corrupt and zeroed by kZeroOnError) is
// initialised in the buffer: an empty map page, "no free space known".
Buffer ReadMapPage(const RelFileLocator& rel, FsmAddress addr, bool extend) {
  const uint64_t physical = PhysicalBlock(addr);
  KEEL_ASSERT(physical < 0xFFFFFFFFull);
  const BlockNumber block(static_cast<uint32_t>(physical));
  if (!SmgrExists(rel, ForkNumber::kFsm)) {
    if (!extend) return kInvalidBuffer;
    SmgrCreate(rel, ForkNumber::kFsm, /*is_redo=*/true);  // a racing creator is fine
  }
  if (SmgrNBlocks(rel, ForkNumber::kFsm) <= block) {
    if (!extend) return kInvalidBuffer;
    ExtendMap(rel, BlockNumber(block.value() + 1));
  }
  const Buffer buffer = ReadBuffer(rel, ForkNumber::kFsm, block, ReadMode::kZeroOnError);
  if (PageIsNew(BufferGetPage(buffer))) {
    LockBuffer(buffer, BufferLockMode::kExclusive);
    if (PageIsNew(BufferGetPage(buffer))) PageInit(BufferGetPage(buffer), 0);
    UnlockBuffer(buffer);
  }
  return buffer;
}

// Sets the parent's slot for the page at `child` to `value` and carries a change of the
// parent's maximum further up. Requires (F6): the caller holds the child's content lock (or
// the child does not exist), so parents are updated in the order their children changed;
// locks are only ever taken child first, parent second.
void UpdateParent(const RelFileLocator& rel, FsmAddress child, uint8_t value) {
  if (child.level == kTreeDepth - 1) return;
  int slot = 0;
  const FsmAddress parent = ParentOf(child, &slot);
  // F3: a parent precedes its children in the file, so it exists when the child does.
  MapPage page(ReadMapPage(rel, parent, /*extend=*/false));
  if (!page.valid()) return;
  page.Lock(BufferLockMode::kExclusive);
  const uint8_t old_root = fsm::PageRootValue(page.page());
  if (!fsm::PageSetSlot(page.page(), slot, value)) return;
  MarkBufferDirtyHint(page.buffer());  // F7: not WAL-logged
  const uint8_t new_root = fsm::PageRootValue(page.page());
  if (new_root != old_root) UpdateParent(rel, parent, new_root);
}

// Records `category` for `slot` of the leaf page `leaf`, which the caller has exclusively
// locked, and carries the change up.
void SetLeafSlotLocked(const RelFileLocator& rel, FsmAddress leaf, MapPage& page, int slot,
                       uint8_t category) {
  const uint8_t old_root = fsm::PageRootValue(page.page());
  if (!fsm::PageSetSlot(page.page(), slot, category)) return;
  MarkBufferDirtyHint(page.buffer());
  const uint8_t new_root = fsm::PageRootValue(page.page());
  if (new_root != old_root) UpdateParent(rel, leaf, new_root);
}

void RecordCategory(const RelFileLocator& rel, BlockNumber block, uint8_t category) {
  KEEL_ASSERT(block != kInvalidBlockNumber);
  int slot = 0;
  const FsmAddress leaf = LeafFor(block, &slot);
  // Forgetting space of a block the map does not cover yet needs no new map page.
  MapPage page(ReadMapPage(rel, leaf, /*extend=*/category != 0));
  if (!page.valid()) return;
  page.Lock(BufferLockMode::kExclusive);
  SetLeafSlotLocked(rel, leaf, page, slot, category);
}

// Searches one page under a share lock; rebuilds it under an exclusive lock when it turns out
// inconsistent (F5). Returns the slot or -1, and the page's maximum in *root.
int SearchPage(MapPage& page, uint8_t needed, bool advance, uint8_t* root) {
  page.Lock(BufferLockMode::kShare);
  bool inconsistent = false;
  int slot = fsm::PageSearch(page.page(), needed, advance, &inconsistent);
  if (inconsistent) {
    page.Unlock();
    page.Lock(BufferLockMode::kExclusive);
    if (fsm::PageRebuild(page.page())) MarkBufferDirtyHint(page.buffer());
    slot = fsm::PageSearch(page.page(), needed, advance, &inconsistent);
    KEEL_ASSERT(!inconsistent);
  }
  *root = fsm::PageRootValue(page.page());
  return slot;
}

// F8: how often a search restarts from the root after fixing a stale upper slot before it
// gives up (each restart repairs one slot, so this only bounds pathological concurrency).
constexpr int kMaxSearchRestarts = 1000;

// The tree search from the root: descend through slots that promise `needed`; where a child
// page does not keep the promise, correct its parent's slot and start again.
BlockNumber SearchTree(const RelFileLocator& rel, uint8_t needed) {
  FsmAddress addr = kRootAddress;
  for (int restarts = 0; restarts <= kMaxSearchRestarts;) {
    MapPage page(ReadMapPage(rel, addr, /*extend=*/false));
    int slot = -1;
    uint8_t root = 0;
    if (page.valid()) slot = SearchPage(page, needed, /*advance=*/false, &root);
    if (slot >= 0) {
      if (addr.level == 0) {
        const uint64_t heap_block = HeapBlockOf(addr, slot);
        return heap_block >= kInvalidBlockNumber.value()
                   ? kInvalidBlockNumber
                   : BlockNumber(static_cast<uint32_t>(heap_block));
      }
      addr = ChildOf(addr, slot);
      continue;
    }
    if (addr.level == kTreeDepth - 1) return kInvalidBlockNumber;
    // The parent was stale (a zeroed page, a lost truncation): fix it while still holding
    // this page's lock (F6), then start over.
    UpdateParent(rel, addr, root);
    addr = kRootAddress;
    ++restarts;
  }
  return kInvalidBlockNumber;
}

// F8: the map may name blocks past the heap's end (its truncation is not WAL-logged); never
// hand one out: forget it and search again.
BlockNumber CheckedSearch(const RelFileLocator& rel, uint8_t needed, BlockNumber found) {
  for (int tries = 0; found != kInvalidBlockNumber; ++tries) {
    if (found < SmgrNBlocks(rel, ForkNumber::kMain)) return found;
    if (tries >= kMaxSearchRestarts) break;
    RecordCategory(rel, found, 0);
    found = SearchTree(rel, needed);
  }
  return kInvalidBlockNumber;
}

// F5 across pages: recomputes the page at `addr` bottom-up from its existing children and
// returns its maximum. `map_blocks` is the size of the fork.
uint8_t VacuumPage(const RelFileLocator& rel, FsmAddress addr, uint64_t map_blocks) {
  if (PhysicalBlock(addr) >= map_blocks) return 0;
  std::array<uint8_t, kSlotsPerPage> child_values{};
  int children = 0;
  if (addr.level > 0) {
    for (; children < kSlotsPerPage; ++children) {
      const FsmAddress child = ChildOf(addr, children);
      if (PhysicalBlock(child) >= map_blocks) break;  // F3: no later child exists either
      child_values[children] = VacuumPage(rel, child, map_blocks);
    }
  }
  MapPage page(ReadMapPage(rel, addr, /*extend=*/false));
  if (!page.valid()) return 0;
  page.Lock(BufferLockMode::kExclusive);
  bool changed = false;
  if (addr.level > 0) {
    for (int slot = 0; slot < kSlotsPerPage; ++slot) {
      const uint8_t value = slot < children ? child_values[slot] : 0;
      if (fsm::PageGetSlot(page.page(), slot) != value) {
        changed |= fsm::PageSetSlot(page.page(), slot, value);
      }
    }
  }
  changed |= fsm::PageRebuild(page.page());
  if (changed) MarkBufferDirtyHint(page.buffer());
  return fsm::PageRootValue(page.page());
}

}  // namespace

BlockNumber FsmGetPageWithFreeSpace(const RelFileLocator& rel, size_t needed) {
  const uint8_t category = fsm::NeededToCategory(needed);
  return CheckedSearch(rel, category, SearchTree(rel, category));
}

BlockNumber FsmRecordAndGetPageWithFreeSpace(const RelFileLocator& rel, BlockNumber old_block,
                                             size_t old_avail, size_t needed) {
  const uint8_t needed_category = fsm::NeededToCategory(needed);
  int slot = 0;
  const FsmAddress leaf = LeafFor(old_block, &slot);
  BlockNumber found = kInvalidBlockNumber;
  {
    MapPage page(ReadMapPage(rel, leaf, /*extend=*/true));
    page.Lock(BufferLockMode::kExclusive);
    SetLeafSlotLocked(rel, leaf, page, slot, fsm::AvailToCategory(old_avail));
    // Prefer a page near the one that just filled up: the same map page first, and move the
    // page's start hint past the slot found so concurrent inserters spread out.
    bool inconsistent = false;
    const int near = fsm::PageSearch(page.page(), needed_category, /*advance=*/true, &inconsistent);
    if (near >= 0) found = BlockNumber(static_cast<uint32_t>(HeapBlockOf(leaf, near)));
  }
  if (found == kInvalidBlockNumber) found = SearchTree(rel, needed_category);
  return CheckedSearch(rel, needed_category, found);
}

void FsmRecordFreeSpace(const RelFileLocator& rel, BlockNumber block, size_t avail) {
  RecordCategory(rel, block, fsm::AvailToCategory(avail));
}

size_t FsmGetAvail(const RelFileLocator& rel, BlockNumber block) {
  int slot = 0;
  const FsmAddress leaf = LeafFor(block, &slot);
  MapPage page(ReadMapPage(rel, leaf, /*extend=*/false));
  if (!page.valid()) return 0;
  page.Lock(BufferLockMode::kShare);
  return fsm::CategoryToAvail(fsm::PageGetSlot(page.page(), slot));
}

void FsmVacuum(const RelFileLocator& rel) {
  if (!SmgrExists(rel, ForkNumber::kFsm)) return;
  (void)VacuumPage(rel, kRootAddress, SmgrNBlocks(rel, ForkNumber::kFsm).value());
}

void FsmTruncate(const RelFileLocator& rel, BlockNumber nblocks) {
  if (!SmgrExists(rel, ForkNumber::kFsm)) return;
  int first_gone = 0;
  const FsmAddress leaf = LeafFor(nblocks, &first_gone);
  if (first_gone > 0) {
    // The last leaf page stays, partly: forget its slots from `nblocks` on.
    MapPage page(ReadMapPage(rel, leaf, /*extend=*/false));
    if (page.valid()) {
      page.Lock(BufferLockMode::kExclusive);
      if (fsm::PageClearFrom(page.page(), first_gone)) MarkBufferDirtyHint(page.buffer());
    }
  }
  // F7: not WAL-logged. A crash may lose this; F8 makes the stale tail harmless.
  const BlockNumber keep = FsmBlocksFor(nblocks);
  if (SmgrNBlocks(rel, ForkNumber::kFsm) > keep) {
    DropRelationBuffers(rel, ForkNumber::kFsm, keep);
    SmgrTruncate(rel, ForkNumber::kFsm, keep);
  }
  // Upper pages still point at what is gone: recompute them from what is left.
  FsmVacuum(rel);
}

BlockNumber FsmBlocksFor(BlockNumber heap_blocks) {
  if (heap_blocks.value() == 0) return BlockNumber(0);
  int slot = 0;
  const FsmAddress last_leaf = LeafFor(BlockNumber(heap_blocks.value() - 1), &slot);
  return BlockNumber(static_cast<uint32_t>(PhysicalBlock(last_leaf) + 1));
}

}  // namespace keel::storage
