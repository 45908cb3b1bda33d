// Page deletion and recycling for VACUUM: empty leaves (with the ancestors they would leave
// empty) are deleted in two WAL-logged stages — half-dead (downlink removed), then unlinked from
// their siblings and DELETED with a safe xid — and DELETED pages are reused by splits once no
// process can still hold a link to them. README.md ("Page deletion and recycling", BT16-BT21).
#include <cstring>
#include <vector>

#include "access/nbtree/nbtree_internal.h"
#include "access/transam/transam.h"
#include "access/transam/wal_record.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "storage/freespace/fsm.h"
#include "storage/smgr/smgr.h"

namespace keel::access::nbtree {

using namespace internal;  // NOLINT: this file is the module's own
using storage::BufferLockMode;
using storage::OffsetNumber;
using storage::Page;

#ifdef KEEL_DEBUG
namespace {
void (*g_pagedel_hook)(int) = nullptr;
}  // namespace
void TestOnlySetPageDelHook(void (*hook)(int stage)) { g_pagedel_hook = hook; }
namespace internal {
void CallPageDelHook(int stage) {
  if (g_pagedel_hook != nullptr) g_pagedel_hook(stage);
}
}  // namespace internal
#endif

namespace {

// What the free space map records for a recyclable page (and asks for when looking for one):
// the index's map holds only "recyclable" (a full page) and "not" (0).
constexpr size_t kFsmRecyclable = kBlockSize;
constexpr size_t kFsmWanted = kBlockSize / 2;

bool IsDeletedPage(Page p) { return !storage::PageIsNew(p) && (Opaque(p)->flags & kBtDeleted) != 0; }

// BT19: a DELETED page may be reused once its xact is below every running transaction's
// horizon: whoever could still hold a link to it took that link before the unlink, with an xmin
// or xid published then, so at most the xact read after the unlink.
bool IsRecyclable(Page p) {
  return IsDeletedPage(p) && Opaque(p)->xact < transam::GetOldestXmin().value();
}

// A leaf that stage 1 could start on: live, empty, not the root, not rightmost, no incomplete
// split (BT16).
bool IsDeletionCandidate(Page p) {
  if (storage::PageIsNew(p)) return false;
  const BtPageOpaque* o = Opaque(p);
  if ((o->flags & kBtLeaf) == 0) return false;
  if ((o->flags & (kBtRoot | kBtDeleted | kBtHalfDead | kBtIncompleteSplit | kBtMeta)) != 0) return false;
  if (o->right == kNoBlock) return false;
  return MaxOff(p) < FirstData(p);
}

// Locks (exclusively) the page at `entry`'s level holding the downlink to `child`, moving right
// from the remembered page; *off = the downlink's offset. Invalid when not found (give up: the
// next VACUUM tries again).
LockedPage LockParentOf(const BtIndex& index, const StackEntry& entry, uint32_t plevel,
                        BlockNumber child, OffsetNumber* off) {
  BlockNumber block = entry.block;
  for (;;) {
    LockedPage p(index, block, BufferLockMode::kExclusive);
    const Page pg = p.page();
    if (Opaque(pg)->level != plevel) return {};
    if (!IsDead(pg)) {
      for (OffsetNumber o = FirstData(pg); o <= MaxOff(pg); ++o) {
        if (Item(pg, o)->tid_block == child.value()) {
          *off = o;
          return p;
        }
      }
    }
    if (IsRightmost(pg)) return {};
    block = BlockNumber(Opaque(pg)->right);
  }
}

// Stage 1 (BT17): the leaf `leaf` (exclusively locked, a candidate) becomes HALF_DEAD and the
// downlink of the top of its subtree leaves the top's parent: the parent item for the top takes
// the child of the next item, which goes (the right sibling absorbs the key range, BT2/BT4).
// `held`: the subtree's internal pages (single-downlink chain, locked), `parent` the top's
// parent. One record.
void MarkHalfDead(LockedPage& leaf, BlockNumber top, LockedPage& parent, OffsetNumber poff) {
  transam::WalRecordBuilder wal;
  WalBtMarkHalfDead rec{top.value(), poff, 0};
  CriticalSection([&] {
    const Page pp = parent.page();
    const uint32_t right_child = Item(pp, static_cast<OffsetNumber>(poff + 1))->tid_block;
    Item(pp, poff)->tid_block = right_child;
    storage::PageIndexTupleDelete(pp, static_cast<OffsetNumber>(poff + 1));
    BtPageOpaque* lo = Opaque(leaf.page());
    lo->flags |= kBtHalfDead;
    lo->xact = top.value();
    storage::MarkBufferDirty(leaf.buffer());
    storage::MarkBufferDirty(parent.buffer());
    wal.RegisterData(&rec, sizeof(rec));
    wal.RegisterBuffer(0, leaf.buffer(), transam::kRegStandard);
    wal.RegisterBuffer(1, parent.buffer(), transam::kRegStandard);
    const Lsn lsn = wal.Insert(transam::RmgrId::kBtree, kWalBtMarkHalfDead);
    storage::PageSetLsn(leaf.page(), lsn);
    storage::PageSetLsn(pp, lsn);
  });
}

// Stage 1 for the empty leaf `block`. Returns whether it became half-dead.
bool TryMarkHalfDead(const BtIndex& index, BlockNumber block) {
  IndexTuple hikey;
  uint32_t left = kNoBlock;
  {
    LockedPage peek(index, block, BufferLockMode::kShare);
    if (!IsDeletionCandidate(peek.page())) return false;
    const IndexTupleHeader* hk = Item(peek.page(), kHighKey);
    hikey = IndexTuple(hk->bytes(), hk->Size());
    left = Opaque(peek.page())->left;
  }
  // The right half of an incomplete split has no downlink: LockParentOf would walk the whole
  // parent level to find that out. Look at the left sibling's flag first (one page at a time;
  // a hint: the walk up below still refuses what it cannot find).
  if (left != kNoBlock) {
    LockedPage lpeek(index, BlockNumber(left), BufferLockMode::kShare);
    const BtPageOpaque* lo = Opaque(lpeek.page());
    if (lo->right == block.value() && (lo->flags & kBtIncompleteSplit) != 0) return false;
  }
  // The path to the leaf: descend with its high key (the last downlink below it at each level
  // is the leaf's or an ancestor's). Done before locking the leaf: a descent locks leaves too.
  SearchKey key;
  MakeKeyFromTuple(*index.keys, hikey.header(), false, &key);
  key.tid = SortTid(hikey.header(), true);
  key.nextkey = false;
  std::vector<StackEntry> stack;
  { LockedPage ignored = Descend(index, key, BufferLockMode::kShare, &stack); }
  if (stack.empty()) return false;  // the root is a leaf

  LockedPage leaf(index, block, BufferLockMode::kExclusive);
  const Page lp = leaf.page();
  if (!IsDeletionCandidate(lp)) return false;
  const IndexTupleHeader* hk = Item(lp, kHighKey);
  if (hk->Size() != hikey.size() || std::memcmp(hk->bytes(), hikey.data(), hikey.size()) != 0) return false;

  // Walk up (child before parent, BT lock order) while the parent would be left without
  // children: those parents join the deleted subtree (BT16).
  std::vector<LockedPage> chain;
  BlockNumber child = block;
  uint32_t child_right = Opaque(lp)->right;
  uint32_t plevel = 1;
  for (size_t i = stack.size(); i-- > 0; ++plevel) {
    OffsetNumber off = 0;
    LockedPage parent = LockParentOf(index, stack[i], plevel, child, &off);
    if (!parent.valid()) return false;
    const Page pp = parent.page();
    if ((Opaque(pp)->flags & kBtIncompleteSplit) != 0) return false;
    if (off < MaxOff(pp)) {
      // BT16: the next downlink must be the top's right sibling (it is unless that sibling is
      // the right half of an incomplete split, or half-dead itself: then wait for later).
      if (Item(pp, static_cast<OffsetNumber>(off + 1))->tid_block != child_right) return false;
      MarkHalfDead(leaf, child, parent, off);
      return true;
    }
    // The top's downlink is the parent's last: only a parent with this one child (not the
    // root, and not its level's only page) may go with it.
    if (off != FirstData(pp) || (Opaque(pp)->flags & kBtRoot) != 0 || IsRightmost(pp)) return false;
    child = parent.block();
    child_right = Opaque(pp)->right;
    chain.push_back(std::move(parent));
  }
  return false;
}

// Stage 2 step (BT17/BT18): unlinks `target` (the leaf itself when `leaf` is null, else the top
// internal page of the leaf's subtree, `leaf` held exclusively) from its siblings and marks it
// DELETED with the next xid; the leaf's top moves one level down. Locks left, target, right
// (left to right). Returns false when the page is not as expected (left for the next VACUUM).
bool UnlinkPage(const BtIndex& index, BlockNumber target, LockedPage* leaf, uint64_t* deleted) {
  uint32_t left_block;
  {
    LockedPage peek(index, target, BufferLockMode::kShare);
    left_block = Opaque(peek.page())->left;
  }
  LockedPage left;
  if (left_block != kNoBlock) {
    left = LockedPage(index, BlockNumber(left_block), BufferLockMode::kExclusive);
    while (Opaque(left.page())->right != target.value()) {  // it split since: move right
      if (IsRightmost(left.page())) return false;
      const BlockNumber next(Opaque(left.page())->right);
      left.Release();
      left = LockedPage(index, next, BufferLockMode::kExclusive);
    }
  }
  LockedPage page(index, target, BufferLockMode::kExclusive);
  const Page tp = page.page();
  BtPageOpaque* to = Opaque(tp);
  if (to->left != (left.valid() ? left.block().value() : kNoBlock) || to->right == kNoBlock) return false;
  uint32_t next_top = kNoBlock;
  if (leaf == nullptr) {
    if ((to->flags & kBtHalfDead) == 0 || (to->flags & kBtLeaf) == 0) return false;
  } else {
    // BT16: an internal page of a half-dead subtree keeps exactly its one downlink.
    if (IsDead(tp) || IsLeaf(tp) || MaxOff(tp) != FirstData(tp)) return false;
    next_top = Item(tp, FirstData(tp))->tid_block;
  }
  LockedPage right(index, BlockNumber(to->right), BufferLockMode::kExclusive);
  if (Opaque(right.page())->left != target.value()) return false;

  transam::WalRecordBuilder wal;
  WalBtUnlinkPage rec{};
  rec.left = left.valid() ? left.block().value() : kNoBlock;
  rec.right = right.block().value();
  rec.next_top = next_top;
  rec.has_leaf = leaf != nullptr ? 1 : 0;
  CriticalSection([&] {
    // BT19: the xid is read after the page became unreachable (the links change under the
    // locks we hold; the downlink went in stage 1).
    if (left.valid()) Opaque(left.page())->right = rec.right;
    Opaque(right.page())->left = rec.left;
    rec.xact = transam::ReadNextTransactionId().value();
    to->flags = static_cast<uint16_t>((to->flags & ~kBtHalfDead) | kBtDeleted);
    to->xact = rec.xact;
    if (leaf != nullptr) Opaque(leaf->page())->xact = next_top;
    storage::MarkBufferDirty(page.buffer());
    if (left.valid()) storage::MarkBufferDirty(left.buffer());
    storage::MarkBufferDirty(right.buffer());
    if (leaf != nullptr) storage::MarkBufferDirty(leaf->buffer());
    wal.RegisterData(&rec, sizeof(rec));
    wal.RegisterBuffer(0, page.buffer(), transam::kRegStandard);
    if (left.valid()) wal.RegisterBuffer(1, left.buffer(), transam::kRegStandard);
    wal.RegisterBuffer(2, right.buffer(), transam::kRegStandard);
    if (leaf != nullptr) wal.RegisterBuffer(3, leaf->buffer(), transam::kRegStandard);
    const Lsn lsn = wal.Insert(transam::RmgrId::kBtree, kWalBtUnlinkPage);
    storage::PageSetLsn(tp, lsn);
    if (left.valid()) storage::PageSetLsn(left.page(), lsn);
    storage::PageSetLsn(right.page(), lsn);
    if (leaf != nullptr) storage::PageSetLsn(leaf->page(), lsn);
  });
  ++*deleted;
  return true;
}

// Stage 2 for the half-dead leaf `block`: unlinks the subtree top-down, then the leaf.
void FinishHalfDead(const BtIndex& index, BlockNumber block, uint64_t* deleted) {
  for (;;) {
    LockedPage leaf(index, block, BufferLockMode::kExclusive);
    const Page lp = leaf.page();
    if ((Opaque(lp)->flags & kBtHalfDead) == 0) return;
    const BlockNumber top(static_cast<uint32_t>(Opaque(lp)->xact));
    if (top == block) {
      leaf.Release();  // re-locked in left-to-right order
      const bool ok = UnlinkPage(index, block, nullptr, deleted);
#ifdef KEEL_DEBUG
      if (ok) CallPageDelHook(2);
#endif
      (void)ok;
      return;
    }
    const bool ok = UnlinkPage(index, top, &leaf, deleted);
    leaf.Release();
    if (!ok) return;
#ifdef KEEL_DEBUG
    CallPageDelHook(2);
#endif
  }
}

// Both stages for the empty leaf `block`. Returns whether it was deleted.
bool DeleteLeaf(const BtIndex& index, BlockNumber block, BtBulkDeleteStats* stats) {
  if (!TryMarkHalfDead(index, block)) return false;
#ifdef KEEL_DEBUG
  CallPageDelHook(1);
#endif
  FinishHalfDead(index, block, &stats->pages_deleted);
  return true;
}

}  // namespace

namespace internal {

LockedPage AllocatePage(const BtIndex& index) {
  const RelFileLocator& rel = index.rel.locator;
  for (int tries = 0; tries < 16; ++tries) {
    const BlockNumber block = storage::FsmGetPageWithFreeSpace(rel, kFsmWanted);
    if (block == kInvalidBlockNumber) break;
    const storage::Buffer buf = storage::ReadBuffer(rel, ForkNumber::kMain, block);
    // Never wait here: the caller holds other index pages (a splitter may hold the page we
    // want as its new right half while waiting for one of ours).
    if (!storage::ConditionalLockBuffer(buf, BufferLockMode::kExclusive)) {
      storage::ReleaseBuffer(buf);
      break;
    }
    // An all-zero page was left by an error (or crash) between ExtendBuffer and the split's
    // record; no link leads to it, and under our exclusive lock no one is initialising it.
    const Page candidate = storage::BufferGetPage(buf);
    const bool recyclable = storage::PageIsNew(candidate) || IsRecyclable(candidate);
    LockedPage page = LockedPage::Adopt(buf);
    // Taken (or a stale hint, BT19): either way the map must stop offering it.
    storage::FsmRecordFreeSpace(rel, block, 0);
    if (recyclable) return page;
  }
  auto [buf, block] = storage::ExtendBuffer(rel, ForkNumber::kMain);
  (void)block;
  return LockedPage::Adopt(buf);
}

void PageDeletionPass(const BtIndex& index, BtBulkDeleteStats* stats) {
  const RelFileLocator& rel = index.rel.locator;
  const uint32_t nblocks = storage::SmgrNBlocks(rel, ForkNumber::kMain).value();
  std::vector<uint32_t> refused;
  for (uint32_t b = 1; b < nblocks; ++b) {
    enum class Action : uint8_t { kNone, kRecycle, kFinish, kDelete } action = Action::kNone;
    {
      LockedPage page(index, BlockNumber(b), BufferLockMode::kShare);
      const Page p = page.page();
      // All zero under our share lock: a page whose extender failed before initialising it
      // (a splitter holds its new page exclusively until the split record is written).
      if (storage::PageIsNew(p) || IsRecyclable(p)) {
        action = Action::kRecycle;
      } else if ((Opaque(p)->flags & kBtHalfDead) != 0) {
        action = Action::kFinish;
      } else if (IsDeletionCandidate(p)) {
        action = Action::kDelete;
      }
    }
    switch (action) {
      case Action::kNone: break;
      case Action::kRecycle:
        storage::FsmRecordFreeSpace(rel, BlockNumber(b), kFsmRecyclable);
        ++stats->pages_free;
        break;
      case Action::kDelete:
        if (!DeleteLeaf(index, BlockNumber(b), stats)) refused.push_back(b);
        break;
      case Action::kFinish:
        FinishHalfDead(index, BlockNumber(b), &stats->pages_deleted);
        break;
    }
  }
  // A leaf refused because it was its parent's last child (of several) may now be the only one
  // left, its siblings having gone after it in physical order: try those again while that helps.
  for (bool progress = true; progress && !refused.empty();) {
    progress = false;
    std::vector<uint32_t> again;
    for (uint32_t b : refused) {
      if (DeleteLeaf(index, BlockNumber(b), stats)) {
        progress = true;
      } else {
        again.push_back(b);
      }
    }
    refused = std::move(again);
  }
}

}  // namespace internal

}  // namespace keel::access::nbtree
