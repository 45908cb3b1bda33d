// The amcheck-like verifier: meta page, per-level sibling chains, key order within and across
// pages, high keys, parent/child key ranges, and optionally heap rows against entries.
// README.md ("Verifier", BT1-BT8).
#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "access/heap/heapam.h"
#include "access/nbtree/nbtree_internal.h"
#include "access/transam/xact.h"
#include "backend/utils/error/format.h"
#include "storage/smgr/smgr.h"

namespace keel::access::nbtree {

using namespace internal;  // NOLINT: this file is the module's own
using storage::BufferLockMode;
using storage::OffsetNumber;
using storage::Page;

namespace {

struct Downlink {
  std::optional<IndexTuple> sep;  // nullopt: minus infinity (lower bound = the page's own)
  uint32_t child;
};

struct PageInfo {
  uint32_t block = 0;
  uint32_t left = kNoBlock, right = kNoBlock;
  uint16_t flags = 0;
  bool dead = false;  // HALF_DEAD leaf or an internal page of a half-dead subtree (BT20)
  std::optional<IndexTuple> hikey;
  std::optional<IndexTuple> first, last;  // first / last real item (not minus infinity)
  std::vector<Downlink> downlinks;
};

class Verifier {
 public:
  Verifier(const BtIndex& index, BtVerifyStats* stats) : index_(index), keys_(*index.keys), stats_(stats) {}

  std::vector<std::string> Run(const BtVerifyOptions& options) {
    uint32_t root = 0, root_level = 0;
    if (!CheckMeta(&root, &root_level)) return problems_;
    stats_->levels = static_cast<int>(root_level) + 1;
    ScanDeadPages();
    std::vector<std::vector<PageInfo>> levels(root_level + 1);
    uint32_t leftmost = root;
    for (int level = static_cast<int>(root_level); level >= 0; --level) {
      levels[static_cast<size_t>(level)] = WalkLevel(leftmost, static_cast<uint32_t>(level));
      const auto& pages = levels[static_cast<size_t>(level)];
      if (pages.empty()) return problems_;
      if (level == static_cast<int>(root_level)) {
        // BT8: the root is alone on its level, unless its split is incomplete (crash before
        // the new root): then its right halves follow it, each but the last flagged.
        bool ok = pages[0].block == root;
        for (size_t i = 0; i + 1 < pages.size(); ++i) ok &= (pages[i].flags & kBtIncompleteSplit) != 0;
        if (!ok) Problem("root level %u has %zu pages (root block %u)", root_level, pages.size(), root);
      }
      if (level > 0) {
        if (pages[0].downlinks.empty()) return problems_;
        leftmost = pages[0].downlinks[0].child;
      }
    }
    for (uint32_t level = root_level; level > 0; --level) CheckChildren(levels[level], levels[level - 1], level);
    if (options.heap != nullptr && options.extract) CheckHeap(options);
    return problems_;
  }

 private:
  template <typename... Args>
  void Problem(const char* fmt, Args... args) {
    problems_.push_back(Format(fmt, args...));
  }

  bool CheckMeta(uint32_t* root, uint32_t* level) {
    LockedPage meta(index_, kBtMetaBlock, BufferLockMode::kShare);
    const BtMetaData* m = Meta(meta.page());
    if (m->magic != kBtMagic || m->version != kBtVersion || (Opaque(meta.page())->flags & kBtMeta) == 0) {
      Problem("meta page: bad magic 0x%x / version %u / flags 0x%x", m->magic, m->version,
              Opaque(meta.page())->flags);
      return false;
    }
    if (m->fastroot != m->root || m->fastlevel != m->level) {
      Problem("meta page: fast root %u/%u differs from root %u/%u", m->fastroot, m->fastlevel, m->root, m->level);
    }
    *root = m->root;
    *level = m->level;
    meta.Release();
    LockedPage r(index_, BlockNumber(*root), BufferLockMode::kShare);
    const BtPageOpaque* o = Opaque(r.page());
    if (o->level != *level) Problem("root block %u has level %u, meta says %u", *root, o->level, *level);
    if ((o->flags & kBtRoot) == 0) Problem("root block %u lacks the ROOT flag", *root);
    return true;
  }

  // BT20: every block of the file, in physical order: counts DELETED and HALF_DEAD pages and
  // collects the internal pages of half-dead subtrees (from each half-dead leaf's top down the
  // single downlinks), which level chains still link but no downlink reaches.
  void ScanDeadPages() {
    const uint32_t nblocks = storage::SmgrNBlocks(index_.rel.locator, ForkNumber::kMain).value();
    std::vector<std::pair<uint32_t, uint32_t>> half_dead;  // (leaf, top)
    for (uint32_t b = 1; b < nblocks; ++b) {
      LockedPage lp(index_, BlockNumber(b), BufferLockMode::kShare);
      const Page p = lp.page();
      if (storage::PageIsNew(p)) continue;
      const BtPageOpaque* o = Opaque(p);
      if ((o->flags & kBtDeleted) != 0) {
        ++stats_->deleted_pages;
        deleted_.insert(b);
        if ((o->flags & kBtHalfDead) != 0) Problem("block %u: both DELETED and HALF_DEAD", b);
      } else if ((o->flags & kBtHalfDead) != 0) {
        ++stats_->half_dead_pages;
        if ((o->flags & kBtLeaf) == 0) Problem("block %u: internal page flagged HALF_DEAD", b);
        if (MaxOff(p) >= FirstData(p)) Problem("block %u: half-dead page holds entries", b);
        half_dead.emplace_back(b, static_cast<uint32_t>(o->xact));
      }
    }
    for (const auto& [leaf, top] : half_dead) {
      uint32_t block = top;
      for (int depth = 0; block != leaf && depth < 64; ++depth) {
        if (block == 0 || block >= nblocks) {
          Problem("half-dead block %u: top %u is not a block of the index", leaf, block);
          break;
        }
        LockedPage lp(index_, BlockNumber(block), BufferLockMode::kShare);
        const Page p = lp.page();
        if (storage::PageIsNew(p) || IsLeaf(p) || IsDead(p) || MaxOff(p) != FirstData(p)) {
          Problem("half-dead block %u: subtree page %u is not an internal page with one downlink", leaf, block);
          break;
        }
        detached_.insert(block);
        block = Item(p, FirstData(p))->tid_block;
      }
      if (block != leaf) Problem("half-dead block %u: its subtree from %u does not lead to it", leaf, top);
    }
  }

  bool Less(const IndexTupleHeader* a, bool ap, const IndexTupleHeader* b, bool bp) const {
    return CompareTuples(keys_, a, ap, b, bp) < 0;
  }

  // BT20: a half-dead leaf or detached subtree page that is leftmost on its level lies left of
  // the page the first downlink of the level above leads to: walk back over such pages.
  uint32_t BackOverDeadPages(uint32_t block) {
    for (int steps = 0; steps < 64; ++steps) {
      uint32_t left;
      {
        LockedPage lp(index_, BlockNumber(block), BufferLockMode::kShare);
        left = Opaque(lp.page())->left;
      }
      if (left == kNoBlock) break;
      LockedPage lp(index_, BlockNumber(left), BufferLockMode::kShare);
      const Page p = lp.page();
      if (storage::PageIsNew(p) || ((Opaque(p)->flags & kBtHalfDead) == 0 && detached_.count(left) == 0)) break;
      if (Opaque(p)->right != block) break;  // not linked to it: reported by the walk
      block = left;
    }
    return block;
  }

  std::vector<PageInfo> WalkLevel(uint32_t leftmost, uint32_t level) {
    std::vector<PageInfo> pages;
    uint32_t block = BackOverDeadPages(leftmost);
    uint32_t prev = kNoBlock;
    std::optional<IndexTuple> prev_hikey;
    while (block != kNoBlock) {
      if (pages.size() > 1000000) {
        Problem("level %u: sibling chain does not end (cycle?)", level);
        break;
      }
      LockedPage lp(index_, BlockNumber(block), BufferLockMode::kShare);
      const Page p = lp.page();
      const BtPageOpaque* o = Opaque(p);
      PageInfo info;
      info.block = block;
      info.left = o->left;
      info.right = o->right;
      info.flags = o->flags;
      ++stats_->pages;
      if (o->level != level) Problem("block %u: level %u, expected %u", block, o->level, level);
      if (((o->flags & kBtLeaf) != 0) != (level == 0)) Problem("block %u: leaf flag wrong for level %u", block, level);
      if ((o->flags & kBtMeta) != 0) Problem("block %u: unexpected flags 0x%x", block, o->flags);
      // BT20: a deleted page is in no level chain; a half-dead leaf and the internal pages of its
      // subtree still are (until stage 2) but have no downlink.
      if ((o->flags & kBtDeleted) != 0) Problem("block %u: deleted page reachable by a right link at level %u", block, level);
      info.dead = (o->flags & (kBtDeleted | kBtHalfDead)) != 0 || detached_.count(block) != 0;
      if (o->left != prev) Problem("block %u: left link %u, but its left sibling is %u", block, o->left, prev);
      if ((o->flags & kBtIncompleteSplit) != 0) {
        ++stats_->incomplete_splits;
        if (o->right == kNoBlock) Problem("block %u: INCOMPLETE_SPLIT on the rightmost page", block);
      }
      const bool leaf = level == 0;
      const OffsetNumber first = FirstData(p);
      const OffsetNumber max = MaxOff(p);
      if (!IsRightmost(p)) {
        if (max < kHighKey) {
          Problem("block %u: no high key", block);
        } else {
          const IndexTupleHeader* hk = Item(p, kHighKey);
          info.hikey = IndexTuple(hk->bytes(), hk->Size());
          if (prev_hikey && !Less(prev_hikey->header(), true, hk, true)) {
            Problem("block %u: high key not above its left sibling's", block);
          }
        }
      }
      if (!leaf && max < first) Problem("block %u: internal page without items", block);
      const IndexTupleHeader* last = nullptr;
      IndexTuple last_flat;  // BT22: a posting list's last (key, tid) entry, as a plain entry
      for (OffsetNumber off = first; off <= max; ++off) {
        const IndexTupleHeader* it = Item(p, off);
        if (!leaf) {
          if (IsPosting(it)) Problem("block %u: posting tuple at offset %u of an internal page", block, off);
          if (off == first) {
            info.downlinks.push_back({std::nullopt, it->tid_block});
            continue;
          }
          info.downlinks.push_back({IndexTuple(it->bytes(), it->Size()), it->tid_block});
        } else {
          stats_->leaf_entries += TidCount(it);
          if (IsPosting(it)) CheckPosting(block, off, it);
        }
        if (last != nullptr && !Less(last_flat.header(), !leaf, it, !leaf)) {
          Problem("block %u: items %u and %u out of order", block, static_cast<unsigned>(off - 1),
                  static_cast<unsigned>(off));
        }
        if (last == nullptr) {
          info.first = IndexTuple(it->bytes(), it->Size());
          if (prev_hikey && Less(it, !leaf, prev_hikey->header(), true)) {  // BT4 across pages
            Problem("block %u: first item below the left sibling's high key", block);
          }
        }
        last = it;
        last_flat = leaf && IsPosting(it) ? MakeLeafItem(it, std::vector<storage::ItemPointer>{MaxLeafTid(it)})
                                          : IndexTuple(it->bytes(), it->Size());
      }
      if (last != nullptr) {
        info.last = last_flat;  // BT22: every tid of a posting list lies below the bounds
        if (info.hikey && !Less(last_flat.header(), !leaf, info.hikey->header(), true)) {
          Problem("block %u: item not below the high key", block);
        }
      }
      // BT20: a dead page's key range went to its right sibling, which may now hold entries
      // below the dead page's high key: compare with the last live page's.
      if (!info.dead) prev_hikey = info.hikey;
      prev = block;
      block = o->right;
      pages.push_back(std::move(info));
    }
    return pages;
  }

  // BT5/BT7: each child-level page has a downlink, in order, unless it is the right half of an
  // incomplete split; its keys lie within the downlink's range.
  void CheckChildren(const std::vector<PageInfo>& parents, const std::vector<PageInfo>& children,
                     uint32_t level) {
    struct Range {
      const IndexTupleHeader* lower;  // nullptr: minus infinity
      const IndexTupleHeader* upper;  // nullptr: plus infinity
      uint32_t child;
    };
    std::vector<Range> ranges;
    const IndexTupleHeader* page_lower = nullptr;
    for (const PageInfo& pg : parents) {
      // BT20: a detached page of a half-dead subtree keeps its one downlink (into the same
      // subtree) and its high key, but its key range went to its right sibling.
      if (pg.dead) continue;
      for (size_t i = 0; i < pg.downlinks.size(); ++i) {
        const Downlink& d = pg.downlinks[i];
        Range r;
        r.lower = d.sep ? d.sep->header() : page_lower;
        r.upper = i + 1 < pg.downlinks.size() ? pg.downlinks[i + 1].sep->header()
                                              : (pg.hikey ? pg.hikey->header() : nullptr);
        r.child = d.child;
        ranges.push_back(r);
      }
      page_lower = pg.hikey ? pg.hikey->header() : nullptr;
    }
    const bool child_leaf = level == 1;
    size_t ri = 0;
    const Range* cur = nullptr;
    for (const Range& r : ranges) {
      if (deleted_.count(r.child) != 0) Problem("level %u: downlink to deleted block %u", level, r.child);
    }
    const PageInfo* prev_live = nullptr;
    for (size_t ci = 0; ci < children.size(); ++ci) {
      const PageInfo& c = children[ci];
      if (c.dead) {  // BT20: no downlink; its range went to its right sibling
        if (ri < ranges.size() && ranges[ri].child == c.block) {
          Problem("block %u (level %u) is half-dead but still has a downlink", c.block, level - 1);
          ++ri;
        }
        continue;
      }
      const PageInfo* left_live = prev_live;
      prev_live = &c;
      if (ri < ranges.size() && ranges[ri].child == c.block) {
        cur = &ranges[ri++];
      } else if (left_live == nullptr || (left_live->flags & kBtIncompleteSplit) == 0) {
        Problem("block %u (level %u) has no downlink and its left sibling's split is complete",
                c.block, level - 1);
      }
      // BT7: the flag means the right sibling has no downlink yet; a flag left set after the
      // downlink went in would make inserters "finish" the split a second time.
      if ((c.flags & kBtIncompleteSplit) != 0 && ci + 1 < children.size() && ri < ranges.size() &&
          ranges[ri].child == children[ci + 1].block) {
        Problem("block %u (level %u) is flagged INCOMPLETE_SPLIT but its right sibling %u has a downlink",
                c.block, level - 1, children[ci + 1].block);
      }
      if (cur == nullptr) continue;
      if (cur->lower != nullptr && c.first && Less(c.first->header(), !child_leaf, cur->lower, true)) {
        Problem("block %u: first item below its parent's separator", c.block);
      }
      if (cur->upper != nullptr && c.last && !Less(c.last->header(), !child_leaf, cur->upper, true)) {
        Problem("block %u: last item not below its parent's next separator", c.block);
      }
      size_t next = ci + 1;  // the next live child
      while (next < children.size() && children[next].dead) ++next;
      const bool chain_end = next == children.size() ||
                             (ri < ranges.size() && ranges[ri].child == children[next].block);
      if (chain_end) {
        if (cur->upper == nullptr) {
          if (c.right != kNoBlock) Problem("block %u: should be rightmost at level %u", c.block, level - 1);
        } else if (!c.hikey || CompareTuples(keys_, c.hikey->header(), true, cur->upper, true) != 0) {
          Problem("block %u: high key differs from its parent's next separator", c.block);
        }
      } else if (cur->upper != nullptr && c.hikey && Less(cur->upper, true, c.hikey->header(), true)) {
        Problem("block %u: high key above its parent's next separator", c.block);
      }
    }
    if (ri != ranges.size()) {
      Problem("level %u: downlink to block %u does not match the child level's page order", level,
              ranges[ri].child);
    }
  }

  // BT22-BT23: a posting tuple has >= 2 tids, ascending and distinct, and is allowed only where
  // deduplication may happen (non-unique, no INCLUDE columns), at most BT12's size.
  void CheckPosting(uint32_t block, OffsetNumber off, const IndexTupleHeader* it) {
    ++stats_->posting_tuples;
    const uint32_t n = TidCount(it);
    if (n < 2 || KeyPartSize(it) < kIndexTupleHeaderSize || KeyPartSize(it) % 8 != 0 ||
        KeyPartSize(it) + n * kBtPostingTidSize != it->Size()) {
      Problem("block %u: posting tuple at offset %u has a bad layout (%u tids, size %zu)", block, off, n,
              it->Size());
      return;
    }
    if (storage::MaxAlign(it->Size()) > kBtMaxItemSize) {
      Problem("block %u: posting tuple at offset %u is %zu bytes", block, off, it->Size());
    }
    if (index_.unique || keys_.natts() != keys_.nkeyatts()) {
      Problem("block %u: posting tuple at offset %u in an index that cannot deduplicate", block, off);
    }
    for (uint32_t i = 0; i < n; ++i) {
      const storage::ItemPointer tid = LeafTid(it, i);
      if (!tid.valid()) Problem("block %u: posting tuple at offset %u has an invalid tid", block, off);
      if (i > 0 && !(LeafTid(it, i - 1) < tid)) {
        Problem("block %u: posting list at offset %u is not sorted or has duplicates (tid %u)", block, off, i);
      }
    }
  }

  bool EntryExists(const SearchKey& key) {
    LockedPage page = Descend(index_, key, BufferLockMode::kShare, nullptr);
    OffsetNumber off = BinarySearch(keys_, key, page.page());
    // A posting list holding the tid sorts by its lowest tid: when that is below the tid, the
    // list is the item before the search position, on the same page (BT22, BT4).
    if (off > FirstData(page.page())) {
      const IndexTupleHeader* prev = Item(page.page(), static_cast<OffsetNumber>(off - 1));
      SearchKey key_only = key;
      key_only.tid = {};
      if (IsPosting(prev) &&
          CompareKeyToItem(keys_, key_only, page.page(), static_cast<OffsetNumber>(off - 1)) == 0) {
        std::vector<storage::ItemPointer> tids;
        AppendLeafTids(prev, &tids);
        if (std::binary_search(tids.begin(), tids.end(), key.tid)) return true;
      }
    }
    while (off > MaxOff(page.page()) && !IsRightmost(page.page())) {
      const BlockNumber right(Opaque(page.page())->right);
      page = LockedPage(index_, right, BufferLockMode::kShare);
      off = FirstData(page.page());
    }
    return off <= MaxOff(page.page()) && CompareKeyToItem(keys_, key, page.page(), off) == 0;
  }

  void CheckHeap(const BtVerifyOptions& options) {
    const transam::Snapshot snapshot = transam::GetLatestSnapshot();
    HeapScan scan(*options.heap, snapshot);
    HeapTupleView v;
    const size_t natts = static_cast<size_t>(keys_.natts());
    std::vector<Datum> values(natts);
    std::unique_ptr<bool[]> isnull(new bool[natts]);
    while (scan.Next(&v)) {
      if ((v.header->infomask2 & kHeapOnlyTuple) != 0) continue;  // entry is at its chain root
      options.extract(v.header, v.size, std::span<Datum>(values), std::span<bool>(isnull.get(), natts));
      IndexTuple t = IndexFormTuple(*keys_.tupdesc, values, std::span<const bool>(isnull.get(), natts), v.self);
      SearchKey key;
      MakeKeyFromTuple(keys_, t.header(), true, &key);
      if (!EntryExists(key)) Problem("heap tuple %s has no index entry", storage::ItemPointerToString(v.self).c_str());
    }
  }

  const BtIndex& index_;
  const IndexKeyDesc& keys_;
  BtVerifyStats* stats_;
  std::vector<std::string> problems_;
  std::set<uint32_t> deleted_;   // DELETED blocks
  std::set<uint32_t> detached_;  // internal pages of half-dead subtrees
};

}  // namespace

std::vector<std::string> BtVerify(const BtIndex& index, const BtVerifyOptions& options,
                                  BtVerifyStats* stats) {
  BtVerifyStats local;
  Verifier v(index, stats != nullptr ? stats : &local);
  return v.Run(options);
}

}  // namespace keel::access::nbtree
