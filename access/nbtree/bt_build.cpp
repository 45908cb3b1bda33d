// CREATE INDEX for the B+tree: sorts the source's rows with the external merge sort, checks
// uniqueness on neighbours, and loads the tree bottom-up, writing pages directly to the fork
// with page-image WAL records and syncing it at the end. README.md ("Bulk build", BT13-BT15).
#include <time.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "access/index/indexam.h"
#include "access/nbtree/nbtree_internal.h"
#include "access/transam/wal.h"
#include "access/transam/wal_record.h"
#include "access/transam/wal_xlog.h"
#include "backend/utils/config/settings.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/init/interrupts.h"
#include "backend/utils/sort/sorter.h"
#include "storage/smgr/smgr.h"

namespace keel::access::nbtree {

using namespace internal;  // NOLINT: this file is the module's own
using storage::OffsetNumber;
using storage::Page;

#ifdef KEEL_DEBUG
namespace {
void (*g_build_hook)(uint64_t) = nullptr;
}  // namespace
void TestOnlySetBuildHook(void (*hook)(uint64_t pages_written)) { g_build_hook = hook; }
#endif

namespace {

// In a sort record (a leaf entry), the AM flag bit marks a row offered with alive = false
// (BT14). Leaf entries never carry the bit on a page (it means "pivot with heap tid" there), so
// the loader clears it.
constexpr uint16_t kSortDeadFlag = kIndexAmFlag;

constexpr size_t kPageCapacity =
    kBlockSize - sizeof(storage::PageHeader) - storage::MaxAlign(sizeof(BtPageOpaque));
// BT13: a leaf keeps this much free beyond its items so that the high key made from its last
// item (key columns + an 8-byte heap tid) fits in that item's place.
constexpr size_t kLeafHighKeyReserve = 8;
// Internal pages are filled to 70 %, as PostgreSQL's BTREE_NONLEAF_FILLFACTOR.
constexpr int kInternalFillFactor = 70;
// Pages written (and WAL-logged) together: one XLOG FPI record and one vectored write.
constexpr int kWriteBatchPages = 32;
static_assert(kWriteBatchPages <= transam::kMaxBlockRefs);

struct alignas(8) PageBytes {
  std::byte bytes[kBlockSize];
};

// ---- abbreviated keys and the sort comparator ---------------------------------------------

// Types whose whole value maps to an order-preserving 64-bit integer (BT15).
enum class AbbrevKind : uint8_t { kNone, kInt2, kInt4, kInt8, kOid, kBool };

AbbrevKind KindOf(const IndexKeyColumn& col, const Attribute& attr) {
  if (col.compare == &BtInt8Cmp && attr.attlen == 8) return AbbrevKind::kInt8;
  if (col.compare == &BtInt4Cmp && attr.attlen == 4) return AbbrevKind::kInt4;
  if (col.compare == &BtInt2Cmp && attr.attlen == 2) return AbbrevKind::kInt2;
  if (col.compare == &BtOidCmp && attr.attlen == 4) return AbbrevKind::kOid;
  if (col.compare == &BtBoolCmp && attr.attlen == 1) return AbbrevKind::kBool;
  return AbbrevKind::kNone;
}

constexpr uint64_t kSignFlip = uint64_t{1} << 63;

// The value's rank among its type's values as an unsigned integer (ascending).
uint64_t Rank(AbbrevKind kind, Datum d) {
  switch (kind) {
    case AbbrevKind::kInt8: return static_cast<uint64_t>(DatumGetInt64(d)) ^ kSignFlip;
    case AbbrevKind::kInt4: return static_cast<uint64_t>(static_cast<int64_t>(DatumGetInt32(d))) ^ kSignFlip;
    case AbbrevKind::kInt2: return static_cast<uint64_t>(static_cast<int64_t>(DatumGetInt16(d))) ^ kSignFlip;
    case AbbrevKind::kOid: return DatumGetUInt32(d);
    case AbbrevKind::kBool: return DatumGetBool(d) ? 1 : 0;
    case AbbrevKind::kNone: return 0;
  }
  return 0;
}

// The fixed-width value of column 0 read straight from a (possibly unaligned) record.
Datum ReadFirstColumn(AbbrevKind kind, const std::byte* rec, size_t data_off) {
  switch (kind) {
    case AbbrevKind::kInt8: {
      int64_t v;
      std::memcpy(&v, rec + data_off, 8);
      return Int64GetDatum(v);
    }
    case AbbrevKind::kInt4: {
      int32_t v;
      std::memcpy(&v, rec + data_off, 4);
      return Int32GetDatum(v);
    }
    case AbbrevKind::kInt2: {
      int16_t v;
      std::memcpy(&v, rec + data_off, 2);
      return Int16GetDatum(v);
    }
    case AbbrevKind::kOid: {
      uint32_t v;
      std::memcpy(&v, rec + data_off, 4);
      return UInt32GetDatum(v);
    }
    case AbbrevKind::kBool: return BoolGetDatum(rec[data_off] != std::byte{0});
    case AbbrevKind::kNone: return 0;
  }
  return 0;
}

// A record's header fields, read with memcpy (records are unaligned: sort S5).
uint16_t RecordInfo(const std::byte* rec) {
  uint16_t info;
  std::memcpy(&info, rec + 6, 2);
  return info;
}
storage::ItemPointer RecordTid(const std::byte* rec) {
  uint32_t block;
  uint16_t offset;
  std::memcpy(&block, rec, 4);
  std::memcpy(&offset, rec + 4, 2);
  return {BlockNumber(block), offset};
}

// What the comparator needs; one per build. CREATE INDEX's sort sorts in the background (sort
// S14): CompareRecords may run on the sorter's worker thread while this thread scans the heap,
// but never on two threads at once, so the scratch buffers are safe; this thread calls
// CompareKeys itself only after sorter.Finish() (the unique check), when no worker runs. The
// comparator reads only the records, `keys` (constant during the build) and the scratch.
struct SortContext {
  const IndexKeyDesc* keys = nullptr;
  int nkeys = 0;
  AbbrevKind kind0 = AbbrevKind::kNone;  // of key column 0
  bool fast = false;   // one key column of an abbreviatable type: compare values directly
  PageBytes scratch_a;  // aligned copies for IndexDeformTuple
  PageBytes scratch_b;

  // The abbreviated key of a row (BT15): key column 0 in index order, NULLs at the end their
  // NULLS FIRST/LAST puts them (ties with non-null extremes are broken by the comparator).
  [[nodiscard]] uint64_t Abbrev(Datum v, bool isnull) const {
    if (kind0 == AbbrevKind::kNone) return 0;
    const IndexKeyColumn& col = keys->keys[0];
    if (isnull) return col.nulls_first ? 0 : ~uint64_t{0};
    const uint64_t r = Rank(kind0, v);
    return col.descending ? ~r : r;
  }

  // Key columns of two records (no tid): < 0, 0, > 0.
  [[nodiscard]] int CompareKeys(const std::byte* a, size_t a_len, const std::byte* b, size_t b_len) {
    const uint16_t ia = RecordInfo(a);
    const uint16_t ib = RecordInfo(b);
    if (fast && ((ia | ib) & kIndexHasNulls) == 0) {
      const Datum va = ReadFirstColumn(kind0, a, kIndexTupleHeaderSize);
      const Datum vb = ReadFirstColumn(kind0, b, kIndexTupleHeaderSize);
      const uint64_t ra = Rank(kind0, va);
      const uint64_t rb = Rank(kind0, vb);
      if (ra == rb) return 0;
      return (ra < rb) != keys->keys[0].descending ? -1 : 1;
    }
    std::memcpy(scratch_a.bytes, a, a_len);  // records are unaligned (sort S5)
    std::memcpy(scratch_b.bytes, b, b_len);
    return CompareKeyColumns(*keys, reinterpret_cast<const IndexTupleHeader*>(scratch_a.bytes),
                             reinterpret_cast<const IndexTupleHeader*>(scratch_b.bytes));
  }
};

// BT1: key columns in index order, then the heap tid.
int CompareRecords(const std::byte* a, size_t a_len, const std::byte* b, size_t b_len, void* arg) {
  auto* ctx = static_cast<SortContext*>(arg);
  const int c = ctx->CompareKeys(a, a_len, b, b_len);
  if (c != 0) return c;
  return CompareTids(RecordTid(a), RecordTid(b));
}

// ---- unique check -------------------------------------------------------------------------

[[noreturn]] void ThrowDuplicate(const BtIndex& index, const std::byte* rec, size_t len) {
  PageBytes copy;
  std::memcpy(copy.bytes, rec, len);
  const int nkeys = index.keys->nkeyatts();
  Datum values[kIndexMaxKeys];
  bool isnull[kIndexMaxKeys];
  IndexDeformTuple(*index.keys->tupdesc, reinterpret_cast<const IndexTupleHeader*>(copy.bytes),
                   std::span<Datum>(values, static_cast<size_t>(nkeys)),
                   std::span<bool>(isnull, static_cast<size_t>(nkeys)));
  std::string cols;
  std::string vals;
  FormatUniqueKey(index, std::span<const Datum>(values, static_cast<size_t>(nkeys)), &cols, &vals);
  // PostgreSQL's text for CREATE UNIQUE INDEX over duplicates (not the insert-time one).
  throw Error(sqlstate::kUniqueViolation,
              Format("could not create unique index \"%s\"", index.rel.name.c_str()))
      .WithDetail(Format("Key (%s)=(%s) is duplicated.", cols.c_str(), vals.c_str()));
}

// Whether any key column of the record is NULL.
bool AnyKeyNull(const std::byte* rec, int nkeys) {
  if ((RecordInfo(rec) & kIndexHasNulls) == 0) return false;
  uint32_t bitmap;
  std::memcpy(&bitmap, rec + kIndexTupleHeaderSize, 4);
  // IT3: a set bit means "present" (as PostgreSQL's null bitmap).
  for (int i = 0; i < nkeys; ++i) {
    if ((bitmap & (uint32_t{1} << i)) == 0) return true;
  }
  return false;
}

// ---- page writer ----------------------------------------------------------------------------

// Finished pages go to the fork in batches (BT14): each batch is WAL-logged as page images (one
// XLOG FPI record), stamped with the record's LSN and checksummed, then written with one
// vectored write (no sync request: the fork is synced once at the end). Blocks are allocated in
// order but finish out of order (an internal page finishes after the leaves below it), so the
// file is zero-extended past gaps that a later write fills.
class PageWriter {
 public:
  explicit PageWriter(const BtIndex& index) : index_(index) {}

  void Write(BlockNumber block, const std::byte* page) {
    if (count_ == kWriteBatchPages) Flush();
    std::memcpy(pages_[count_].bytes, page, kBlockSize);
    blocks_[count_] = block;
    ++count_;
    ++pages_written_;
  }

  void Flush() {
    if (count_ == 0) return;
    {
      transam::WalRecordBuilder wal;
      for (int i = 0; i < count_; ++i) {
        wal.RegisterBlock(static_cast<uint8_t>(i), index_.rel.locator, ForkNumber::kMain, blocks_[i],
                          pages_[i].bytes, transam::kRegForceImage | transam::kRegStandard);
      }
      const Lsn lsn = wal.Insert(transam::RmgrId::kXlog, transam::kXlogFpi);
      for (int i = 0; i < count_; ++i) storage::PageSetLsn(pages_[i].bytes, lsn);
    }
    storage::BlockWrite writes[kWriteBatchPages];
    BlockNumber max_block{0};
    for (int i = 0; i < count_; ++i) {
      if (settings::data_checksums) storage::PageSetChecksum(pages_[i].bytes, blocks_[i]);
      writes[i] = {index_.rel.locator, ForkNumber::kMain, blocks_[i], pages_[i].bytes};
      max_block = std::max(max_block, blocks_[i]);
    }
    const uint32_t need = max_block.value() + 1;
    if (need > file_blocks_) {
      storage::SmgrZeroExtend(index_.rel.locator, ForkNumber::kMain, BlockNumber(file_blocks_),
                              static_cast<int>(need - file_blocks_), /*skip_fsync=*/true);
      file_blocks_ = need;
    }
    storage::SmgrWriteV(std::span<const storage::BlockWrite>(writes, static_cast<size_t>(count_)),
                        /*skip_fsync=*/true);
    count_ = 0;
#ifdef KEEL_DEBUG
    if (g_build_hook != nullptr) g_build_hook(pages_written_);
#endif
  }

  [[nodiscard]] uint64_t pages_written() const { return pages_written_; }

 private:
  const BtIndex& index_;
  PageBytes pages_[kWriteBatchPages];
  BlockNumber blocks_[kWriteBatchPages] = {};
  int count_ = 0;
  uint32_t file_blocks_ = 0;
  uint64_t pages_written_ = 0;
};

// ---- bottom-up loader -------------------------------------------------------------------------

size_t ItemSpace(size_t size) { return storage::MaxAlign(size) + sizeof(storage::LinePointer); }
size_t RawFree(const std::byte* page) {
  const storage::PageHeader* h = storage::GetPageHeader(const_cast<std::byte*>(page));
  return static_cast<size_t>(h->upper) - static_cast<size_t>(h->lower);
}

void AddItem(Page page, const void* item, size_t size, OffsetNumber off, const BtIndex& index) {
  if (storage::PageAddItem(page, item, size, off, false, false) != off) {
    throw Error(sqlstate::kInternalError,
                Format("failed to add item to index page in \"%s\"", index.rel.name.c_str()));
  }
}

// Builds one level after another from the sorted leaf entries (README "Bulk build"). Each level
// has one page in progress; a page that reaches its fill target is finished when the next item
// arrives: its last item moves to a new right sibling, the high key is made from that item
// (BT3), and the downlink (same pivot, child = the new page) goes to the level above.
class Loader {
 public:
  Loader(const BtIndex& index, int leaf_fillfactor, PageWriter* writer)
      : index_(index), writer_(writer) {
    leaf_full_ = kPageCapacity * static_cast<size_t>(100 - leaf_fillfactor) / 100;
    internal_full_ = kPageCapacity * static_cast<size_t>(100 - kInternalFillFactor) / 100;
    next_block_ = 1;  // block 0 is the meta page, written last
    StartLevel(0);
  }

  // Appends a leaf entry (sorted order; its dead flag already cleared).
  void AddLeaf(const std::byte* item, size_t size) { Add(0, item, size); }

  // Finishes every level's last page (rightmost, no high key) and writes the meta page.
  // Returns the root's level.
  uint32_t Finish(BlockNumber* root_block) {
    for (size_t l = 0; l < levels_.size(); ++l) {
      Level& lv = *levels_[l];
      if (l + 1 == levels_.size()) Opaque(lv.page.bytes)->flags |= kBtRoot;  // BT8
      writer_->Write(lv.block, lv.page.bytes);
    }
    *root_block = levels_.back()->block;
    return static_cast<uint32_t>(levels_.size() - 1);
  }

  [[nodiscard]] uint64_t leaf_pages() const { return leaf_pages_; }
  [[nodiscard]] BlockNumber blocks() const { return BlockNumber(next_block_); }

 private:
  struct Level {
    PageBytes page;
    BlockNumber block{0};
    int items = 0;  // data items on the page in progress
  };

  void StartLevel(uint32_t level) {
    auto lv = std::make_unique<Level>();
    InitPage(lv->page.bytes, level, level == 0 ? kBtLeaf : 0);
    lv->block = BlockNumber(next_block_++);
    if (level == 0) ++leaf_pages_;
    levels_.push_back(std::move(lv));
  }

  void Add(uint32_t level, const std::byte* item, size_t size) {
    Level* lv = levels_[level].get();
    Page p = lv->page.bytes;
    const bool leaf = level == 0;
    const size_t reserve = leaf ? kLeafHighKeyReserve : 0;
    const size_t full = leaf ? leaf_full_ : internal_full_;
    const size_t free = RawFree(p);
    // BT13: a page is finished when the item does not fit (with the high-key reserve), or when
    // it is already past its fill target and holds at least two items.
    if (free < ItemSpace(size) + reserve || (free < full + sizeof(storage::LinePointer) && lv->items >= 2)) {
      FinishPage(level);
      lv = levels_[level].get();
      p = lv->page.bytes;
    }
    const OffsetNumber off = static_cast<OffsetNumber>(storage::PageMaxOffsetNumber(p) + 1);
    AddItem(p, item, size, off, index_);
    if (leaf && (RecordInfo(item) & kSortDeadFlag) != 0) {
      Item(p, off)->info &= static_cast<uint16_t>(~kSortDeadFlag);  // BT14: a sort-only mark
    }
    ++lv->items;
  }

  // Moves the last item of `level`'s page to a new right sibling, gives the page its high key,
  // writes it and sends the new page's downlink up (creating the parent level when needed).
  void FinishPage(uint32_t level) {
    if ((++finished_pages_ & 255) == 0) CheckForInterrupts();
    Level& lv = *levels_[level];
    Page p = lv.page.bytes;
    const bool leaf = level == 0;
    const OffsetNumber last = static_cast<OffsetNumber>(storage::PageMaxOffsetNumber(p));
    KEEL_ASSERT(lv.items >= 2);
    const IndexTuple moved(Item(p, last)->bytes(), Item(p, last)->Size());
    storage::PageIndexTupleDelete(p, last);
    // BT3: the high key is the first entry of the right page, as a pivot (key columns + tid).
    IndexTuple hikey = MakePivot(*index_.keys, moved.header(), !leaf, kNoBlock);
    AddItem(p, hikey.data(), hikey.size(), kHighKey, index_);

    const BlockNumber left_block = lv.block;
    const BlockNumber right_block(next_block_++);
    Opaque(p)->right = right_block.value();
    writer_->Write(left_block, p);

    InitPage(p, level, leaf ? kBtLeaf : 0);
    Opaque(p)->left = left_block.value();
    lv.block = right_block;
    lv.items = 0;
    if (leaf) {
      ++leaf_pages_;
      AddItem(p, moved.data(), moved.size(), 1, index_);
    } else {
      // BT2: the first item of an internal page is minus infinity.
      IndexTuple minf = MakeMinusInfinity(moved.header()->tid_block);
      AddItem(p, minf.data(), minf.size(), 1, index_);
    }
    lv.items = 1;

    if (level + 1 == levels_.size()) {
      StartLevel(level + 1);
      IndexTuple minf = MakeMinusInfinity(left_block.value());
      Level& parent = *levels_[level + 1];
      AddItem(parent.page.bytes, minf.data(), minf.size(), 1, index_);
      parent.items = 1;
    }
    hikey.header()->tid_block = right_block.value();  // the downlink: same pivot, child = right
    Add(level + 1, hikey.data(), hikey.size());
  }

  const BtIndex& index_;
  PageWriter* writer_;
  size_t leaf_full_ = 0;
  size_t internal_full_ = 0;
  uint32_t next_block_ = 0;
  uint64_t leaf_pages_ = 0;
  uint64_t finished_pages_ = 0;
  std::vector<std::unique_ptr<Level>> levels_;  // [0] = leaves
};

// Returns the LSN of the meta page's image record (the build's last WAL record).
Lsn WriteMetaPage(const BtIndex& index, BlockNumber root, uint32_t level) {
  PageBytes meta;
  InitPage(meta.bytes, 0, kBtMeta);
  *Meta(meta.bytes) = BtMetaData{kBtMagic, kBtVersion, root.value(), level, root.value(), level};
  storage::GetPageHeader(meta.bytes)->lower =
      static_cast<uint16_t>(sizeof(storage::PageHeader) + sizeof(BtMetaData));
  const Lsn lsn = transam::LogNewPage(index.rel.locator, ForkNumber::kMain, kBtMetaBlock, meta.bytes, true);
  if (settings::data_checksums) storage::PageSetChecksum(meta.bytes, kBtMetaBlock);
  storage::SmgrWrite(index.rel.locator, ForkNumber::kMain, kBtMetaBlock, meta.bytes, /*skip_fsync=*/true);
  return lsn;
}

void CheckItemSize(const BtIndex& index, size_t size, storage::ItemPointer tid, const char* heap_name) {
  const size_t itemsz = storage::MaxAlign(size);  // BT12, as BtInsert
  if (itemsz <= kBtMaxItemSize) return;
  throw Error(sqlstate::kProgramLimitExceeded,
              Format("index row size %zu exceeds btree version %u maximum %zu for index \"%s\"",
                     itemsz, kBtVersion, kBtMaxItemSize, index.rel.name.c_str()))
      .WithDetail(Format("Index row references tuple %s in relation \"%s\".",
                         storage::ItemPointerToString(tid).c_str(), heap_name != nullptr ? heap_name : "?"))
      .WithHint("Values larger than 1/3 of a buffer page cannot be indexed.\n"
                "Consider a function index of an MD5 hash of the value, or use full text indexing.");
}

// Forms leaf entries of rows whose columns are all fixed-width by-value and not NULL straight
// into a caller's buffer: the layout IndexFormTuple produces (access/common IT1-IT2: 8-byte
// header, each column at its alignment from the data start), without its allocation per row
// (callgrind: IndexFormTuple and its allocation were a fifth of an int8 build's instructions).
// The first such row is also formed by IndexFormTuple and the bytes compared; any difference
// turns the shortcut off for the build (Debug builds compare every row).
class FastLeafForm {
 public:
  static constexpr size_t kMaxBytes = kIndexTupleHeaderSize + kIndexMaxKeys * 8;

  explicit FastLeafForm(const TupleDesc& desc) {
    size_t off = 0;
    usable_ = desc.natts() <= kIndexMaxKeys;
    for (int i = 0; usable_ && i < desc.natts(); ++i) {
      const Attribute& a = desc.attr(i);
      if (!a.attbyval || (a.attlen != 1 && a.attlen != 2 && a.attlen != 4 && a.attlen != 8)) {
        usable_ = false;
        break;
      }
      const size_t align = AlignmentOf(a.attalign);
      off = (off + align - 1) & ~(align - 1);
      offsets_.push_back(static_cast<uint16_t>(kIndexTupleHeaderSize + off));
      lens_.push_back(static_cast<uint8_t>(a.attlen));
      off += static_cast<size_t>(a.attlen);
    }
    size_ = kIndexTupleHeaderSize + off;
  }

  // Forms the entry into `buf` (kMaxBytes, 8-byte aligned) and returns its size, or 0 when the
  // row does not qualify (a NULL, or the shortcut is off).
  size_t Form(const TupleDesc& desc, std::span<const Datum> values, std::span<const bool> isnull,
              storage::ItemPointer tid, std::byte* buf) {
    if (!usable_) return 0;
    for (const bool n : isnull) {
      if (n) return 0;
    }
    std::memset(buf, 0, size_);
    auto* h = reinterpret_cast<IndexTupleHeader*>(buf);
    h->SetTid(tid);
    h->info = static_cast<uint16_t>(size_);
    for (size_t i = 0; i < offsets_.size(); ++i) std::memcpy(buf + offsets_[i], &values[i], lens_[i]);
#ifdef KEEL_DEBUG
    constexpr bool kCheckEvery = true;
#else
    constexpr bool kCheckEvery = false;
#endif
    if (kCheckEvery || !checked_) {
      checked_ = true;
      const IndexTuple ref = IndexFormTuple(desc, values, isnull, tid);
      if (ref.size() != size_ || std::memcmp(ref.data(), buf, size_) != 0) {
        KEEL_ASSERT(!kCheckEvery && "fast leaf form differs from IndexFormTuple");
        usable_ = false;
        return 0;
      }
    }
    return size_;
  }

 private:
  bool usable_ = false;
  bool checked_ = false;
  std::vector<uint16_t> offsets_;
  std::vector<uint8_t> lens_;
  size_t size_ = 0;
};

double NowSeconds() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace

BtBuildStats BtBuild(const BtIndex& index, IndexBuildSource& source, const BtBuildOptions& options) {
  if (options.fillfactor < 10 || options.fillfactor > 100) {
    throw Error(sqlstate::kInvalidParameterValue,
                Format("value %d out of bounds for option \"fillfactor\"", options.fillfactor))
        .WithDetail("Valid values are between \"10\" and \"100\".");
  }
  const IndexKeyDesc& keys = *index.keys;
  BtBuildStats stats;
  const double start = NowSeconds();

  // The caller may have created the file already through the transaction's pending creates
  // (transam::RelationCreateStorage: CREATE INDEX, REINDEX), so a rolled-back build leaves no
  // file; otherwise create it here.
  if (!storage::SmgrExists(index.rel.locator, ForkNumber::kMain)) {
    transam::LogAndCreateRelationFork(index.rel.locator, ForkNumber::kMain);
  }

  // 1. Sort every row's leaf entry (BT1 order) with abbreviated keys (BT15).
  auto ctx = std::make_unique<SortContext>();
  ctx->keys = &keys;
  ctx->nkeys = keys.nkeyatts();
  ctx->kind0 = KindOf(keys.keys[0], keys.tupdesc->attr(0));
  ctx->fast = ctx->nkeys == 1 && ctx->kind0 != AbbrevKind::kNone;
  sort::SortOptions sort_options = sort::MaintenanceSortOptions();
  if (options.sort_memory_bytes != 0) sort_options.memory_budget_bytes = options.sort_memory_bytes;
  sort::Sorter sorter(&CompareRecords, ctx.get(), sort_options);
  FastLeafForm fast_form(*keys.tupdesc);
  alignas(8) std::byte fast_buf[FastLeafForm::kMaxBytes];
  IndexBuildRow row;
  while (source.Next(&row)) {
    ++stats.heap_tuples;
    const uint64_t abbrev = ctx->Abbrev(row.values[0], row.isnull[0]);
    const size_t fast_size = fast_form.Form(*keys.tupdesc, row.values, row.isnull, row.tid, fast_buf);
    if (fast_size != 0) {  // fixed-width columns: at most 264 bytes, below BT12's limit
      if (!row.alive) reinterpret_cast<IndexTupleHeader*>(fast_buf)->info |= kSortDeadFlag;
      sorter.Add(std::span<const std::byte>(fast_buf, fast_size), abbrev);
      continue;
    }
    IndexTuple tuple = IndexFormTuple(*keys.tupdesc, row.values, row.isnull, row.tid);
    CheckItemSize(index, tuple.size(), row.tid, options.heap_name);
    if (!row.alive) tuple.header()->info |= kSortDeadFlag;
    sorter.Add(std::span<const std::byte>(tuple.data(), tuple.size()), abbrev);
  }
  sorter.Finish();
  stats.sort_spilled = !sorter.in_memory();
  stats.sort_runs = sorter.stats().initial_runs;

  const double sorted = NowSeconds();
  stats.sort_seconds = sorted - start;

  // 2. The bottom-up load (BT13) with the unique check on neighbours (BT14).
  auto writer = std::make_unique<PageWriter>(index);
  Loader loader(index, options.fillfactor, writer.get());
  std::vector<std::byte> prev;  // the previous record, for the unique check
  bool group_alive = false;     // some record equal to `prev` (keys) was alive
  // With deduplication (BT22, BT23) runs of equal keys are loaded as posting tuples (as PostgreSQL's
  // build does), cut where a list would pass kBtMaxPostingSize — the same cap as the dedup pass.
  const bool dedup = DedupEnabled(index);
  auto run_base = std::make_unique<PageBytes>();  // aligned copy of the run's first record
  size_t run_base_len = 0;
  const auto* run_header = reinterpret_cast<const IndexTupleHeader*>(run_base->bytes);
  std::vector<storage::ItemPointer> run_tids;
  auto flush_run = [&] {
    if (run_tids.empty()) return;
    if (run_tids.size() == 1) {
      loader.AddLeaf(run_base->bytes, run_base_len);
    } else {
      const IndexTuple posting = MakeLeafItem(run_header, run_tids);
      loader.AddLeaf(posting.data(), posting.size());
    }
    run_tids.clear();
  };
  std::span<const std::byte> rec;
  while (sorter.Next(&rec)) {
    if (index.unique) {
      const bool alive = (RecordInfo(rec.data()) & kSortDeadFlag) == 0;
      const bool has_null = AnyKeyNull(rec.data(), ctx->nkeys);
      const bool same = !has_null && !prev.empty() &&
                        ctx->CompareKeys(prev.data(), prev.size(), rec.data(), rec.size()) == 0;
      if (!same) group_alive = false;
      if (alive && !has_null) {
        if (group_alive) ThrowDuplicate(index, rec.data(), rec.size());
        group_alive = true;
      }
      if (has_null) {
        prev.clear();
      } else {
        prev.assign(rec.begin(), rec.end());
      }
    }
    ++stats.index_tuples;
    if (!dedup) {
      loader.AddLeaf(rec.data(), rec.size());
      continue;
    }
    const storage::ItemPointer tid = RecordTid(rec.data());
    if (!run_tids.empty() &&
        ctx->CompareKeys(run_base->bytes, run_base_len, rec.data(), rec.size()) == 0 &&
        storage::MaxAlign(storage::MaxAlign(KeyPartSize(run_header)) +
                          kBtPostingTidSize * (run_tids.size() + 1)) <= kBtMaxPostingSize) {
      run_tids.push_back(tid);  // sorted: tids of equal keys arrive ascending
      continue;
    }
    flush_run();
    std::memcpy(run_base->bytes, rec.data(), rec.size());  // records fit a page (BT12)
    run_base_len = rec.size();
    run_tids.push_back(tid);
  }
  flush_run();
  BlockNumber root;
  const uint32_t root_level = loader.Finish(&root);
  writer->Flush();
  const Lsn last_lsn = WriteMetaPage(index, root, root_level);
  const double loaded = NowSeconds();
  stats.load_seconds = loaded - sorted;
  // BT14: the pages never went through shared buffers, so no checkpoint will write or sync
  // them: make them durable before the transaction can commit (a checkpoint that began during
  // the build has a redo pointer past some of their WAL records). Their WAL goes first (one
  // flush for the whole build: a transaction without an xid would not flush it at commit).
  transam::WalFlush(last_lsn);
  storage::SmgrImmediateSync(index.rel.locator, ForkNumber::kMain);
  stats.sync_seconds = NowSeconds() - loaded;
  stats.levels = root_level + 1;
  stats.leaf_pages = loader.leaf_pages();
  stats.pages = loader.blocks().value();
  return stats;
}

}  // namespace keel::access::nbtree
