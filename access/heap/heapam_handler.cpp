// The heap's implementation of the table access method interface (access/table/tableam.h):
// thin forwarding to heapam.h, vacuum.h and heap_toast.h, plus the planner's size estimate.
// Interface promises: access/table/README.md; the heap itself: README.md.
#include <cmath>
#include <cstddef>
#include <memory>
#include <new>

#include "access/common/tuple_desc.h"
#include "access/heap/heap_toast.h"
#include "access/heap/heapam.h"
#include "access/heap/vacuum.h"
#include "access/heap/visibility_map.h"
#include "access/table/tableam.h"
#include "storage/page/page.h"

namespace keel::access {
namespace {

// A sequential scan is a HeapScan (HP16): its views stay valid while it keeps the page pinned,
// which is exactly TA3's promise.
class HeapTableScan final : public TableScan {
 public:
  HeapTableScan(const Relation& rel, const transam::Snapshot& snapshot) : scan_(rel, snapshot) {}
  bool Next(HeapTupleView* out) override { return scan_.Next(out); }
  void Rescan() override { scan_.Rescan(); }

 private:
  HeapScan scan_;
};

// Index entries point at HOT chain roots (HP12); the visible member is copied out, so no pin
// is kept between calls.
class HeapIndexFetch final : public IndexFetch {
 public:
  explicit HeapIndexFetch(const Relation& rel) : rel_(&rel) {}
  bool Fetch(const transam::Snapshot& snapshot, storage::ItemPointer tid,
             HeapTuple* out) override {
    return HeapHotSearch(*rel_, snapshot, tid, out);
  }

 private:
  const Relation* rel_;  // the caller keeps the Relation alive while the fetch state lives
};

// Average stored width of a column the planner assumes without statistics: its length when
// fixed, else PostgreSQL's default guess for variable-length values.
constexpr double kDefaultVarWidthBytes = 32;

double EstimatedDataWidth(const TupleDesc* desc) {
  if (desc == nullptr) return kDefaultVarWidthBytes;  // opaque tuples: one unknown column
  double width = 0;
  for (int i = 0; i < desc->natts(); ++i) {
    const Attribute& a = desc->attr(i);
    width += a.attlen > 0 ? static_cast<double>(a.attlen) : kDefaultVarWidthBytes;
  }
  return width;
}

class HeapTableAm final : public TableAm {
 public:
  std::string_view Name() const override { return "heap"; }

  void CreateStorage(const Relation& rel) const override { HeapCreateStorage(rel); }

  // A TOAST relation is worth having when some column can hold a value TOAST may compress or
  // move: a varlena whose storage is not 'p' (T4). Declared widths (varchar(n)) are not
  // consulted yet: any such column counts.
  bool NeedsToastTable(const TupleDesc& desc) const override {
    for (int i = 0; i < desc.natts(); ++i) {
      const Attribute& a = desc.attr(i);
      if (a.attlen == kAttLenVarlena && a.attstorage != kStoragePlain) return true;
    }
    return false;
  }

  storage::ItemPointer Insert(const Relation& rel, HeapTuple& tuple,
                              CommandId cid) const override {
    return HeapInsert(rel, tuple, cid);
  }

  // No batched page fill yet: one insert (and WAL record) per tuple.
  void MultiInsert(const Relation& rel, std::span<HeapTuple> tuples,
                   CommandId cid) const override {
    for (HeapTuple& t : tuples) (void)HeapInsert(rel, t, cid);
  }

  TmResult Delete(const Relation& rel, storage::ItemPointer tid, CommandId cid,
                  const transam::Snapshot* crosscheck, bool wait,
                  TmFailureData* tmfd) const override {
    return HeapDelete(rel, tid, cid, crosscheck, wait, tmfd);
  }

  TmResult Update(const Relation& rel, storage::ItemPointer otid, HeapTuple& newtup,
                  CommandId cid, const transam::Snapshot* crosscheck, bool wait,
                  bool indexed_columns_changed, TmFailureData* tmfd,
                  UpdateIndexes* update_indexes) const override {
    bool used_hot = false;
    const TmResult result = HeapUpdate(rel, otid, newtup, cid, crosscheck, wait, tmfd,
                                       /*hot_allowed=*/!indexed_columns_changed, &used_hot);
    // TA8: a HOT version is found from its chain's root, which the indexes already point at.
    *update_indexes =
        result == TmResult::kOk && !used_hot ? UpdateIndexes::kAll : UpdateIndexes::kNone;
    return result;
  }

  TmResult LockTuple(const Relation& rel, storage::ItemPointer tid, CommandId cid,
                     RowLockMode mode, LockWaitPolicy policy, HeapTuple* locked,
                     TmFailureData* tmfd) const override {
    return HeapLockTuple(rel, tid, cid, mode, policy, locked, tmfd);
  }

  bool FetchRowVersion(const Relation& rel, const transam::Snapshot& snapshot,
                       storage::ItemPointer tid, HeapTuple* out) const override {
    return HeapFetch(rel, snapshot, tid, out);
  }

  std::unique_ptr<TableScan> BeginScan(const Relation& rel,
                                       const transam::Snapshot& snapshot) const override {
    return std::make_unique<HeapTableScan>(rel, snapshot);
  }

  std::unique_ptr<IndexFetch> BeginIndexFetch(const Relation& rel) const override {
    return std::make_unique<HeapIndexFetch>(rel);
  }

  std::vector<std::byte> Detoast(const Relation& rel, const std::byte* value,
                                 const transam::Snapshot& snapshot) const override {
    return access::Detoast(rel, value, snapshot);
  }

  // TA12: the visibility map's bit, read without a content lock (V-rules in README.md); the
  // map page is pinned only for the read.
  bool PageIsAllVisible(const Relation& rel, BlockNumber block) const override {
    storage::Buffer vm_buffer = storage::kInvalidBuffer;
    const bool all_visible = VisibilityMapIsAllVisible(rel, block, &vm_buffer);
    if (vm_buffer != storage::kInvalidBuffer) storage::ReleaseBuffer(vm_buffer);
    return all_visible;
  }

  BlockNumber RelationBlocks(const Relation& rel) const override {
    return HeapRelationBlocks(rel);
  }

  TableSizeEstimate EstimateSize(const Relation& rel, const TableSizeHint& hint) const override;

  VacuumStats Vacuum(const Relation& rel, const VacuumParams& params) const override {
    return HeapVacuum(rel, params);
  }
};

// The rules of PostgreSQL's block-based estimate (so plans match its choices), in our words:
//  - the size is the table's current size, not the catalog's (it may have grown since);
//  - a table never counted (reltuples < 0) with under 10 pages is costed as 10 pages, since an
//    empty-looking table at plan time is often filled before the plan runs;
//  - rows per page come from the catalog's reltuples / relpages when it has both, else from
//    the tuple width the column types suggest (header, line pointer, MaxAlign'ed data);
//  - the all-visible share is relallvisible over the (possibly bumped) page count, at most 1.
TableSizeEstimate HeapTableAm::EstimateSize(const Relation& rel,
                                            const TableSizeHint& hint) const {
  constexpr uint32_t kMinPagesNeverCounted = 10;
  TableSizeEstimate est;
  double pages = static_cast<double>(HeapRelationBlocks(rel).value());
  if (pages < kMinPagesNeverCounted && hint.reltuples < 0) pages = kMinPagesNeverCounted;
  est.blocks = BlockNumber(static_cast<uint32_t>(pages));
  if (pages == 0) return est;

  double per_page = 0;
  if (hint.reltuples >= 0 && hint.relpages.value() > 0) {
    per_page = hint.reltuples / static_cast<double>(hint.relpages.value());
  } else {
    const double tuple_bytes =
        static_cast<double>(storage::MaxAlign(kHeapTupleHeaderSize) +
                            storage::MaxAlign(static_cast<size_t>(EstimatedDataWidth(rel.desc))) +
                            sizeof(storage::LinePointer));
    per_page = static_cast<double>(kBlockSize - sizeof(storage::PageHeader)) / tuple_bytes;
  }
  est.tuples = std::rint(per_page * pages);

  const double all_visible = static_cast<double>(hint.relallvisible.value());
  est.all_visible_fraction = all_visible >= pages ? 1.0 : all_visible / pages;
  return est;
}

}  // namespace

const TableAm& GetHeapTableAm() {
  // Built in place and never destroyed: it owns nothing, and no exit handler is registered
  // that a forked child could run a second time.
  alignas(HeapTableAm) static std::byte storage[sizeof(HeapTableAm)];
  static const HeapTableAm* const heap = new (storage) HeapTableAm();
  return *heap;
}

}  // namespace keel::access
