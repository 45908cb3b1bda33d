// B+tree internals shared by the nbtree sources: page special space and meta page layout,
// pivot tuples, insertion/search keys and comparison, descending the tree, WAL record
// layouts. Not for use outside access/nbtree. Formats and invariants: README.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "access/common/index_tuple.h"
#include "access/nbtree/nbtree.h"
#include "storage/buffer/bufmgr.h"
#include "storage/page/page.h"

namespace keel::access::nbtree::internal {

inline constexpr uint32_t kNoBlock = 0xFFFFFFFFu;

// Special space of every page (24 bytes, README "Page layout").
struct BtPageOpaque {
  uint32_t left;      // left sibling at the same level; kNoBlock for the leftmost
  uint32_t right;     // right sibling; kNoBlock for the rightmost
  uint32_t level;     // 0 = leaf
  uint16_t flags;     // kBt* below
  uint16_t cycle_id;  // reserved for VACUUM cycle ids (0)
  uint64_t xact;      // DELETED: the next xid at deletion (BT19); HALF_DEAD leaf: the block
                      // of the top page still to unlink (BT17); else 0
};
static_assert(sizeof(BtPageOpaque) == 24);

inline constexpr uint16_t kBtLeaf = 0x0001;
inline constexpr uint16_t kBtRoot = 0x0002;
inline constexpr uint16_t kBtDeleted = 0x0004;
inline constexpr uint16_t kBtMeta = 0x0008;
inline constexpr uint16_t kBtHalfDead = 0x0010;
inline constexpr uint16_t kBtIncompleteSplit = 0x0020;

// Meta page contents (block 0), right after the page header.
struct BtMetaData {
  uint32_t magic;
  uint32_t version;
  uint32_t root;
  uint32_t level;      // root's level
  uint32_t fastroot;   // = root (no page deletion yet)
  uint32_t fastlevel;
};
inline constexpr uint32_t kBtMagic = 0x053162;
inline constexpr uint32_t kBtVersion = 4;
inline constexpr BlockNumber kBtMetaBlock{0};

// Pivot tuples (high keys, internal items) carry the heap tid of the leaf entry they were
// made from in their last 8 bytes (BT3); the AM flag bit says so. The minus-infinity first
// item of an internal page is a bare 8-byte header (no key, no tid).
inline constexpr uint16_t kBtPivotHasTid = kIndexAmFlag;

// The largest entry (MAXALIGNed): PostgreSQL's BTMaxItemSize formula applied to Keel's 32-byte
// page header and 24-byte special space (README BT12: why 2696, not PostgreSQL's 2704).
inline constexpr size_t kBtMaxItemSize = 2696;
static_assert(kBtMaxItemSize ==
              (((kBlockSize - storage::MaxAlign(sizeof(storage::PageHeader) + 3 * sizeof(storage::LinePointer)) -
                 storage::MaxAlign(sizeof(BtPageOpaque))) / 3) & ~size_t{7}) - 8);

// --- page access ------------------------------------------------------------------------------
[[nodiscard]] inline BtPageOpaque* Opaque(storage::Page page) {
  return reinterpret_cast<BtPageOpaque*>(storage::PageGetSpecial(page));
}
[[nodiscard]] inline bool IsLeaf(storage::Page p) { return (Opaque(p)->flags & kBtLeaf) != 0; }
[[nodiscard]] inline bool IsRightmost(storage::Page p) { return Opaque(p)->right == kNoBlock; }
[[nodiscard]] inline bool IsLeftmost(storage::Page p) { return Opaque(p)->left == kNoBlock; }
// Offsets (README "Page layout"): on a non-rightmost page, offset 1 is the high key.
inline constexpr storage::OffsetNumber kHighKey = 1;
[[nodiscard]] inline storage::OffsetNumber FirstData(storage::Page p) {
  return IsRightmost(p) ? 1 : 2;
}
[[nodiscard]] inline storage::OffsetNumber MaxOff(storage::Page p) {
  return static_cast<storage::OffsetNumber>(storage::PageMaxOffsetNumber(p));
}
[[nodiscard]] inline IndexTupleHeader* Item(storage::Page p, storage::OffsetNumber off) {
  return reinterpret_cast<IndexTupleHeader*>(storage::PageGetItem(p, storage::PageGetLinePointer(p, off)));
}
[[nodiscard]] inline BtMetaData* Meta(storage::Page p) {
  return reinterpret_cast<BtMetaData*>(p + sizeof(storage::PageHeader));
}
// A fresh B+tree page.
void InitPage(storage::Page page, uint32_t level, uint16_t flags);

// Two heap tids in BT1's order (block, then offset): < 0, 0, > 0.
[[nodiscard]] inline int32_t CompareTids(storage::ItemPointer a, storage::ItemPointer b) {
  if (a < b) return -1;
  if (b < a) return 1;
  return 0;
}
// The heap tid a tuple is ordered by: a leaf entry's own, a pivot's trailing one (invalid for
// the minus-infinity item or a pivot without one).
[[nodiscard]] storage::ItemPointer SortTid(const IndexTupleHeader* tuple, bool is_pivot);
// Whether the item at `off` of `page` is a pivot tuple (high key or internal item).
[[nodiscard]] inline bool ItemIsPivot(storage::Page p, storage::OffsetNumber off) {
  return !IsLeaf(p) || (!IsRightmost(p) && off == kHighKey);
}
// A pivot from a leaf entry or a pivot: key columns only, heap tid appended; tid field =
// `child` (kNoBlock for a high key).
[[nodiscard]] IndexTuple MakePivot(const IndexKeyDesc& keys, const IndexTupleHeader* src,
                                   bool src_is_pivot, uint32_t child);
// The minus-infinity item pointing at `child`.
[[nodiscard]] IndexTuple MakeMinusInfinity(uint32_t child);

// --- keys -------------------------------------------------------------------------------------
// A search key: the first `nkeys` key columns (values may point into `owner`), optionally a
// heap tid. `nextkey`: position after equal items instead of at the first one.
struct SearchKey {
  int nkeys = 0;
  Datum values[kIndexMaxKeys] = {};
  bool isnull[kIndexMaxKeys] = {};
  storage::ItemPointer tid;  // invalid: not part of the key
  bool nextkey = false;
};
// A search key for every key column of `tuple` (a leaf entry), with its heap tid.
void MakeKeyFromTuple(const IndexKeyDesc& keys, const IndexTupleHeader* tuple, bool with_tid,
                      SearchKey* out);
// key vs the item at `off`: < 0, 0, > 0. The minus-infinity item compares below every key.
[[nodiscard]] int32_t CompareKeyToItem(const IndexKeyDesc& keys, const SearchKey& key,
                                       storage::Page page, storage::OffsetNumber off);
// The key columns' names and values of an entry, comma-separated, for 23505 details
// ("Key (a, b)=(1, x) ..."). Requires: values holds the key columns (none NULL).
void FormatUniqueKey(const BtIndex& index, std::span<const Datum> values, std::string* cols,
                     std::string* vals);
// Two stored tuples' key columns in index order (no tids): < 0, 0, > 0.
[[nodiscard]] int32_t CompareKeyColumns(const IndexKeyDesc& keys, const IndexTupleHeader* a,
                                        const IndexTupleHeader* b);
// Two stored tuples in index order (key columns, then tids). For the verifier.
[[nodiscard]] int32_t CompareTuples(const IndexKeyDesc& keys, const IndexTupleHeader* a,
                                    bool a_pivot, const IndexTupleHeader* b, bool b_pivot);
// Binary search (README "Searching"): on a leaf the first offset whose item is >= key (> key
// with nextkey); on an internal page the offset of the downlink to follow.
[[nodiscard]] storage::OffsetNumber BinarySearch(const IndexKeyDesc& keys, const SearchKey& key,
                                                 storage::Page page);

// --- descending -------------------------------------------------------------------------------
struct StackEntry {
  BlockNumber block;
  storage::OffsetNumber offset;  // of the downlink followed
};
// A pinned and content-locked buffer (RAII).
class LockedPage {
 public:
  LockedPage() = default;
  LockedPage(const BtIndex& index, BlockNumber block, storage::BufferLockMode mode);
  LockedPage(LockedPage&& o) noexcept : buf_(std::exchange(o.buf_, storage::kInvalidBuffer)) {}
  LockedPage& operator=(LockedPage&& o) noexcept;
  ~LockedPage() { Release(); }
  void Release();
  // Adopts an already pinned and locked buffer.
  static LockedPage Adopt(storage::Buffer buf);
  [[nodiscard]] storage::Buffer buffer() const { return buf_; }
  [[nodiscard]] storage::Page page() const { return storage::BufferGetPage(buf_); }
  [[nodiscard]] BlockNumber block() const { return storage::BufferGetBlockNumber(buf_); }
  [[nodiscard]] bool valid() const { return buf_ != storage::kInvalidBuffer; }

 private:
  storage::Buffer buf_ = storage::kInvalidBuffer;
};

// The root block and level from the meta page (share lock held briefly).
void ReadMeta(const BtIndex& index, BlockNumber* root, uint32_t* level);
// Descends to the leaf where `key` belongs (README "Searching"): share locks on internal pages,
// `leaf_mode` on the leaf; moves right past concurrent splits. With exclusive leaf access (an
// insert descent), incomplete splits met at every level are finished first (BT7), as
// PostgreSQL's _bt_moveright(forupdate). Fills `stack` (may be null).
[[nodiscard]] LockedPage Descend(const BtIndex& index, const SearchKey& key,
                                 storage::BufferLockMode leaf_mode, std::vector<StackEntry>* stack);
// Moves right from `page` (locked in `mode`) while `key` is beyond its high key (BT4). With
// `finish_splits`, a page flagged INCOMPLETE_SPLIT is first re-locked exclusively (when `mode`
// is share), its split finished (FinishSplit with `parents`, the descent stack of the levels
// above), and re-locked in `mode`. Returns the page locked in `mode`.
[[nodiscard]] LockedPage MoveRight(const BtIndex& index, LockedPage page, const SearchKey& key,
                                   storage::BufferLockMode mode, bool finish_splits,
                                   const std::vector<StackEntry>& parents);
// The leftmost page at `level` (share lock released; returns its block).
[[nodiscard]] BlockNumber LeftmostAtLevel(const BtIndex& index, uint32_t level);
// Finishes the incomplete split of the exclusively locked `left` page (BT7): inserts the
// downlink for its right sibling into the parent (or a new root). `left` stays locked. `stack`:
// the descent's entries for the levels above `left` (may be empty: the parent is then found
// from the leftmost page of its level). Locks: `left`, its right sibling, then parents (README
// "Locking"); the caller must hold no other page.
void FinishSplit(const BtIndex& index, LockedPage& left, const std::vector<StackEntry>& stack);

// --- page deletion and recycling (bt_pagedel.cpp, README "Page deletion and recycling") ------
// HALF_DEAD or DELETED: no entries, no downlink; readers and inserters skip it by its right
// link (BT18).
[[nodiscard]] inline bool IsDead(storage::Page p) {
  return (Opaque(p)->flags & (kBtDeleted | kBtHalfDead)) != 0;
}
// A page for a split's right half or a new root: a recyclable DELETED page the free space map
// names (re-checked under its lock, BT19), else a new block (ExtendBuffer). Returned pinned and
// exclusively locked; the caller overwrites the whole page. Never waits for a page lock
// (ConditionalLockBuffer), so it may be called while holding other index pages.
[[nodiscard]] LockedPage AllocatePage(const BtIndex& index);
// VACUUM's page deletion pass over every block of the index (physical order): records
// recyclable DELETED pages in the free space map, finishes half-dead pages (stage 2) and
// deletes empty leaves (stages 1 and 2) with the empty ancestors they leave (BT16-BT21).
// Requires: the only VACUUM of this index (ShareUpdateExclusiveLock); no page locked.
void PageDeletionPass(const BtIndex& index, BtBulkDeleteStats* stats);

// --- WAL (RmgrId::kBtree) ---------------------------------------------------------------------
inline constexpr uint8_t kWalBtInsertLeaf = 0x00;
inline constexpr uint8_t kWalBtInsertUpper = 0x10;
inline constexpr uint8_t kWalBtSplit = 0x20;
inline constexpr uint8_t kWalBtNewRoot = 0x30;
inline constexpr uint8_t kWalBtVacuum = 0x40;
inline constexpr uint8_t kWalBtCreate = 0x50;
inline constexpr uint8_t kWalBtMarkHalfDead = 0x70;
inline constexpr uint8_t kWalBtUnlinkPage = 0x80;
// 0x90 is reserved for page deletion (unused).

struct WalBtInsert {   // main data of INSERT_*; block 0 data = the tuple; block 1: child
  uint16_t offset;
  uint16_t has_child;  // block 1 is a child whose INCOMPLETE_SPLIT is cleared
};
struct WalBtSplit {    // blocks 0 left, 1 right (images), 2 old right sibling, 3 child
  uint32_t level;
  uint32_t right_sibling;  // kNoBlock when none (no block 2)
  uint16_t has_child;
  uint16_t first_right_off;  // informational: offset where the new item went (0 = not known)
  uint32_t padding;
};
struct WalBtNewRoot {  // blocks 0 new root (image), 1 old root (flags cleared), 2 meta (image)
  uint32_t root;
  uint32_t level;
};
struct WalBtVacuum {   // block 0 data = u16 offsets, ascending
  uint16_t ndeleted;
};
struct WalBtMarkHalfDead {  // blocks 0 leaf (HALF_DEAD, xact = top), 1 parent of top
  uint32_t top;             // the highest page of the deleted subtree (= the leaf when alone)
  uint16_t poffset;         // parent: item poffset takes poffset + 1's child, which is deleted
  uint16_t padding;
};
struct WalBtUnlinkPage {    // blocks 0 target, 1 left sibling (when any), 2 right, 3 leaf
  uint32_t left;            // kNoBlock: the target is leftmost (no block 1)
  uint32_t right;
  uint64_t xact;            // the target's DELETED xact
  uint32_t next_top;        // block 3's new xact (top) when the target is not the leaf
  uint32_t has_leaf;        // block 3 present
};

// Runs `fn` as a critical section (STYLE.md: noexcept, a failure terminates -> PANIC).
template <typename Fn>
inline void CriticalSection(Fn&& fn) noexcept {
  fn();
}

#ifdef KEEL_DEBUG
void CallSplitHook(uint32_t level);
void CallPageDelHook(int stage);
#endif

// --- deduplication (bt_dedup.cpp, README "Deduplication", BT22-BT26) -------------------------
// A posting tuple (leaf data items only) is told from a plain entry by its header tid: block =
// the number of heap tids (>= 2), offset = kBtPostingMarker (never a heap line pointer number);
// the pivot flag is clear. Its key columns are followed, from MaxAlign(key size), by the tids
// (6 bytes each: u32 block, u16 offset), ascending and distinct (BT22).
inline constexpr uint16_t kBtPostingMarker = 0xFFFF;
inline constexpr size_t kBtPostingTidSize = 6;
// The dedup pass makes posting tuples of at most this many bytes (MAXALIGNed): half of BT12's
// limit, as PostgreSQL, so a split still always finds a point and posting splits stay cheap.
inline constexpr size_t kBtMaxPostingSize = (kBtMaxItemSize / 2) & ~size_t{7};

inline constexpr uint8_t kWalBtDedup = 0xA0;
inline constexpr uint8_t kWalBtInsertPost = 0xB0;
inline constexpr uint8_t kWalBtVacuumPosting = 0xC0;

struct WalBtDedup {         // block 0 data = WalBtDedupInterval[nintervals], by ascending base
  uint16_t nintervals;
};
struct WalBtDedupInterval {  // items [base, base + nitems) of the page before the pass merge
  uint16_t base;
  uint16_t nitems;
};
struct WalBtInsertPost {    // block 0 data = the rewritten posting tuple, then the new entry
  uint16_t posting_off;     // the posting tuple overwritten in place (same size); the new
  uint16_t posting_size;    // entry goes to posting_off + 1
};
struct WalBtVacuumPosting { // block 0 data = u16 deleted offsets ascending, then per update
  uint16_t ndeleted;        // {u16 offset, u16 size, tuple bytes}, ascending offsets
  uint16_t nupdated;
};

[[nodiscard]] inline bool IsPosting(const IndexTupleHeader* t) {
  return (t->info & kBtPivotHasTid) == 0 && t->tid_offset == kBtPostingMarker;
}
// Number of heap tids of a leaf data item (1 for a plain entry).
[[nodiscard]] inline uint32_t TidCount(const IndexTupleHeader* t) {
  return IsPosting(t) ? t->tid_block : 1;
}
// Bytes of the key part: a posting's tids start there; a plain entry's size.
[[nodiscard]] inline size_t KeyPartSize(const IndexTupleHeader* t) {
  return IsPosting(t) ? t->Size() - kBtPostingTidSize * t->tid_block : t->Size();
}
// Heap tid `i` (< TidCount) of a leaf data item.
[[nodiscard]] storage::ItemPointer LeafTid(const IndexTupleHeader* t, uint32_t i);
// The highest heap tid of a leaf data item (its own for a plain entry).
[[nodiscard]] inline storage::ItemPointer MaxLeafTid(const IndexTupleHeader* t) {
  return LeafTid(t, TidCount(t) - 1);
}
// Appends every heap tid of a leaf data item to `out`.
void AppendLeafTids(const IndexTupleHeader* t, std::vector<storage::ItemPointer>* out);
// A leaf data item with the key part of `base` (plain or posting) and `tids` (ascending,
// distinct, non-empty): a plain entry for one tid, else a posting tuple.
[[nodiscard]] IndexTuple MakeLeafItem(const IndexTupleHeader* base, std::span<const storage::ItemPointer> tids);
// Whether `index` deduplicates (README "Deduplication": non-unique, no INCLUDE columns, every
// key column equal_image, `deduplicate` set).
[[nodiscard]] bool DedupEnabled(const BtIndex& index);
// The dedup pass on the exclusively locked leaf (BT23): merges runs of equal keys into posting
// tuples (at most kBtMaxPostingSize), WAL-logged (DEDUP). Returns whether the page changed.
// Requires: DedupEnabled(index); no INCOMPLETE_SPLIT on the page.
[[nodiscard]] bool DedupPage(const BtIndex& index, LockedPage& leaf);
// The posting split (BT24) for inserting `tuple` (a plain entry) at `off` of a leaf: when the
// item before `off` is a posting tuple with an equal key whose tid range holds tuple's tid,
// returns true with *replacement = that posting with the new tid in and its highest tid out,
// and *tuple = a plain entry of the highest tid (to be inserted at `off`). Throws XX000 when
// the tid is already in the list.
[[nodiscard]] bool PostingSplit(const BtIndex& index, storage::Page page, storage::OffsetNumber off,
                                IndexTuple* tuple, IndexTuple* replacement);
// Page rewrites shared by do and redo, so both produce the same bytes.
// The dedup pass's result for `src` into `dst` (a scratch page).
void ApplyDedup(storage::Page src, storage::Page dst, std::span<const WalBtDedupInterval> intervals);
// VACUUM with posting lists: replaces the updated items (delete + add at the same offset), then
// deletes `deleted` from the highest down. `updates`: the record's update part.
void ApplyVacuumPosting(storage::Page page, std::span<const uint16_t> deleted,
                        std::span<const std::byte> updates, uint16_t nupdated);

}  // namespace keel::access::nbtree::internal
