// The btree index AM: IndexRelation -> BtIndex, ScanKey -> BtScanKey, and the IndexAm methods
// forwarding to BtBuild, BtInsert, BtScan, BtBulkDelete, BtVacuumCleanup and the generic cost
// estimate. README.md ("Index-AM interface", BT27-BT30); the interface: access/index/README.md.
#include "access/nbtree/btree_am.h"

#include <array>
#include <memory>
#include <new>
#include <vector>

#include "access/heap/heapam.h"
#include "access/nbtree/nbtree.h"
#include "access/nbtree/nbtree_internal.h"
#include "access/transam/xact.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/sqlstate.h"
#include "storage/smgr/smgr.h"

namespace keel::access::nbtree {
namespace {

// The BtIndex (and its IndexKeyDesc) an IndexRelation stands for. Self-referential (bt.keys
// points at keys): not movable.
struct BtView {
  IndexKeyDesc keys;
  BtIndex bt;

  explicit BtView(const IndexRelation& index) { Fill(index); }
  BtView(const BtView&) = delete;
  BtView& operator=(const BtView&) = delete;

  void Fill(const IndexRelation& index) {
    if (index.rel.desc == nullptr || index.key_columns < 1 ||
        index.key_columns > index.total_columns() ||
        index.total_columns() != index.rel.desc->natts()) {
      throw Error(sqlstate::kInternalError,
                  Format("index \"%s\" has no valid column descriptor", index.rel.name.c_str()));
    }
    keys.tupdesc = index.rel.desc;
    keys.keys.clear();
    keys.names.clear();  // messages take the names from tupdesc (the descriptor's attributes)
    for (int i = 0; i < index.key_columns; ++i) {
      const IndexColumn& c = index.columns[static_cast<size_t>(i)];
      if (c.compare == nullptr) {
        throw Error(sqlstate::kInternalError,
                    Format("missing support function 1 for column %d of index \"%s\"", i + 1,
                           index.rel.name.c_str()));
      }
      keys.keys.push_back(
          IndexKeyColumn{c.compare, c.compare_arg, c.output, c.descending, c.nulls_first, c.equal_image});
    }
    bt.rel = index.rel;
    bt.keys = &keys;
    bt.unique = index.unique;
    // BT23: a unique index never holds posting lists, also when a call inserts into it
    // without the check (kNo, kPartial turn `unique` off for that call).
    bt.deduplicate = !index.unique;
  }

  // Whether this view still describes `index` (everything Fill copied compares equal).
  [[nodiscard]] bool Matches(const IndexRelation& index) const {
    if (bt.rel.id != index.rel.id || !(bt.rel.locator == index.rel.locator) ||
        keys.tupdesc != index.rel.desc || bt.unique != index.unique ||
        keys.nkeyatts() != index.key_columns || bt.rel.name != index.rel.name ||
        index.total_columns() != (index.rel.desc != nullptr ? index.rel.desc->natts() : -1)) {
      return false;
    }
    for (int i = 0; i < index.key_columns; ++i) {
      const IndexColumn& c = index.columns[static_cast<size_t>(i)];
      const IndexKeyColumn& k = keys.keys[static_cast<size_t>(i)];
      if (k.compare != c.compare || k.compare_arg != c.compare_arg || k.output != c.output ||
          k.descending != c.descending || k.nulls_first != c.nulls_first ||
          k.equal_image != c.equal_image) {
        return false;
      }
    }
    return true;
  }
};

// Insert is hot: its view comes from a small process-local cache, keyed by the IndexRelation's
// address and validated field by field (an address re-used for another index just misses).
// Only used for the length of one call, which never re-enters the AM, so an entry is never
// replaced while in use.
class InsertViewCache {
 public:
  const BtView& Get(const IndexRelation& index) {
    for (Slot& s : slots_) {
      if (s.key == &index && s.view != nullptr && s.view->Matches(index)) return *s.view;
    }
    Slot& s = slots_[next_];
    next_ = (next_ + 1) % slots_.size();
    s.key = nullptr;
    if (s.view == nullptr) {
      s.view = std::make_unique<BtView>(index);
    } else {
      s.view->Fill(index);
    }
    s.key = &index;
    return *s.view;
  }

 private:
  struct Slot {
    const IndexRelation* key = nullptr;
    std::unique_ptr<BtView> view;
  };
  std::array<Slot, 8> slots_;
  size_t next_ = 0;
};

InsertViewCache& GetInsertViewCache() {
  static InsertViewCache cache;
  return cache;
}

ScanDirection ToBt(access::ScanDirection dir) {
  if (dir == access::ScanDirection::kNoMovement) {
    throw Error(sqlstate::kInternalError, "index scan direction must be forward or backward");
  }
  return dir == access::ScanDirection::kBackward ? ScanDirection::kBackward : ScanDirection::kForward;
}

// ---- scans ------------------------------------------------------------------------------------

class BtreeIndexScan final : public IndexScan {
 public:
  BtreeIndexScan(const IndexRelation& index, int nkeys, bool want_itup)
      : index_(&index), view_(index), nkeys_(nkeys), want_itup_(want_itup) {
    if (want_itup_) {
      values_.resize(static_cast<size_t>(index.total_columns()));
      isnull_ = std::make_unique<bool[]>(values_.size());
    }
  }

  // Translates the keys (README "Index-AM interface"): 1-based attno -> 0-based, kSkIsNull ->
  // the scan returns nothing, kSkSearchNull / kSkSearchNotNull -> BtNullTest.
  void Rescan(std::span<const ScanKey> keys) override {
    if (static_cast<int>(keys.size()) > nkeys_) {
      throw Error(sqlstate::kInternalError,
                  Format("index scan of \"%s\" got %zu keys, more than the %d it was begun with",
                         index_->rel.name.c_str(), keys.size(), nkeys_));
    }
    never_match_ = false;
    std::vector<BtScanKey> bt_keys;
    bt_keys.reserve(keys.size());
    for (const ScanKey& k : keys) {
      if (k.attno < 1 || k.attno > index_->key_columns) {
        throw Error(sqlstate::kInternalError,
                    Format("invalid scan key column %d for index \"%s\"", static_cast<int>(k.attno),
                           index_->rel.name.c_str()));
      }
      BtScanKey bk;
      bk.attno = k.attno - 1;
      if ((k.flags & kSkSearchNull) != 0) {
        bk.null_test = BtNullTest::kIsNull;
      } else if ((k.flags & kSkSearchNotNull) != 0) {
        bk.null_test = BtNullTest::kIsNotNull;
      } else if ((k.flags & kSkIsNull) != 0) {
        never_match_ = true;  // IX6: "col op NULL" is never true
        continue;
      } else {
        if (k.strategy < strategy::kLess || k.strategy > strategy::kGreater) {
          throw Error(sqlstate::kInternalError,
                      Format("unrecognized StrategyNumber: %d", static_cast<int>(k.strategy)));
        }
        const IndexKeyColumn& col = view_.keys.keys[static_cast<size_t>(bk.attno)];
        if (k.compare != nullptr && (k.compare != col.compare || k.compare_arg != col.compare_arg)) {
          // The tree is searched with the column's own comparator (IX5).
          throw Error(sqlstate::kFeatureNotSupported,
                      Format("cross-type comparison is not supported in scans of index \"%s\"",
                             index_->rel.name.c_str()));
        }
        bk.strategy = static_cast<BtStrategy>(k.strategy);
        bk.argument = k.argument;
      }
      bt_keys.push_back(bk);
    }
    if (scan_ == nullptr) {
      BtScanOptions options;
      options.keep_leaf_pin = want_itup_;  // BT27: index-only scans
      scan_ = std::make_unique<BtScan>(view_.bt, std::move(bt_keys), ScanDirection::kForward, options);
    } else {
      scan_->Rescan(std::move(bt_keys), ScanDirection::kForward);
    }
  }

  bool GetNextTid(access::ScanDirection direction, IndexScanEntry* out) override {
    if (scan_ == nullptr) {
      throw Error(sqlstate::kInternalError, "index scan fetched from before its first rescan");
    }
    const ScanDirection dir = ToBt(direction);
    *out = IndexScanEntry{};
    if (never_match_) return false;
    const IndexTupleHeader* itup = nullptr;
    if (!scan_->Next(dir, &out->tid, want_itup_ ? &itup : nullptr)) return false;
    if (want_itup_) {  // IX9: views into the scan's copy of the entry
      IndexDeformTuple(*index_->rel.desc, itup, std::span<Datum>(values_),
                       std::span<bool>(isnull_.get(), values_.size()));
      out->values = values_;
      out->isnull = std::span<const bool>(isnull_.get(), values_.size());
    }
    return true;
  }

  void MarkPos() override {
    if (scan_ != nullptr) scan_->Mark();
  }
  void RestorePos() override {
    if (scan_ != nullptr) scan_->Restore();
  }

 private:
  const IndexRelation* index_;  // IX2: the caller keeps it alive
  BtView view_;                 // the scan's own (BtScan keeps a reference to view_.bt)
  int nkeys_;
  bool want_itup_;
  bool never_match_ = false;
  std::unique_ptr<BtScan> scan_;  // declared after view_: destroyed first
  std::vector<Datum> values_;
  std::unique_ptr<bool[]> isnull_;
};

// ---- unique checks for kPartial / kExisting (IX13) ----------------------------------------

enum class Conflict : uint8_t { kNone, kPossible, kWait };

// Entries with key columns equal to `values` other than `self`, looked up in the heap with
// dirty semantics: kPossible when one is live, or in progress and !wait_in_progress; kWait
// (with *xwait) when one is in progress and wait_in_progress.
Conflict FindConflict(const BtIndex& bt, const Relation& heap, std::span<const Datum> values,
                      storage::ItemPointer self, bool wait_in_progress, TransactionId* xwait) {
  std::vector<BtScanKey> keys;
  for (int i = 0; i < bt.keys->nkeyatts(); ++i) {
    keys.push_back({i, BtStrategy::kEqual, values[static_cast<size_t>(i)]});
  }
  BtScan scan(bt, std::move(keys));
  storage::ItemPointer tid;
  while (scan.Next(&tid)) {
    if (tid == self) continue;
    switch (HeapHotSearchDirty(heap, tid, xwait)) {
      case HotDirtyResult::kNone: break;
      case HotDirtyResult::kLive: return Conflict::kPossible;
      case HotDirtyResult::kInProgress:
        if (wait_in_progress) return Conflict::kWait;
        return Conflict::kPossible;
    }
  }
  return Conflict::kNone;
}

// Page deletion's counts of one BtBulkDelete / BtVacuumCleanup call (README "Index-AM
// interface"): pages it deleted are newly deleted and not reusable yet (their xact is the next
// xid, BT19), so they add to both; pages_free is each call's full count of recyclable pages
// (every pass finds the same ones again), so the last call's replaces the earlier.
void AddPageDeletionStats(const BtBulkDeleteStats& r, IndexBulkDeleteResult* stats) {
  const auto deleted = static_cast<uint32_t>(r.pages_deleted);
  stats->pages_newly_deleted = BlockNumber(stats->pages_newly_deleted.value() + deleted);
  stats->pages_deleted = BlockNumber(stats->pages_deleted.value() + deleted);
  stats->pages_free = BlockNumber(static_cast<uint32_t>(r.pages_free));
}

// ---- the AM -----------------------------------------------------------------------------------

class BtreeIndexAm final : public IndexAm {
 public:
  std::string_view Name() const override { return "btree"; }

  const IndexAmProperties& Properties() const override {
    static constexpr IndexAmProperties kProps{
        .can_order = true,
        .can_backward = true,
        .can_unique = true,
        .can_multi_col = true,
        .can_include = true,
        .optional_key = true,
        .search_nulls = true,
        .can_mark_pos = true,
        .clusterable = true,
        .max_strategy = 5,
    };
    return kProps;
  }

  // Entries hold every column's value unchanged (key and INCLUDE columns).
  bool CanReturn(const IndexRelation& /*index*/, int /*column*/) const override { return true; }

  IndexBuildResult Build(const Relation& /*heap*/, const IndexRelation& index,
                         const IndexInfo& /*info*/, IndexBuildSource& source) const override {
    const BtView view(index);
    const BtBuildStats stats = BtBuild(view.bt, source);
    return IndexBuildResult{static_cast<double>(stats.heap_tuples),
                            static_cast<double>(stats.index_tuples)};
  }

  // The init fork (unlogged indexes, TRUNCATE): meta page + empty root leaf, WAL-logged; the
  // main fork is not touched.
  void BuildEmpty(const IndexRelation& index) const override {
    const BtView view(index);
    BtCreateIndex(view.bt, ForkNumber::kInit);
  }

  bool Insert(const IndexRelation& index, std::span<const Datum> values,
              std::span<const bool> isnull, storage::ItemPointer heap_tid, const Relation& heap,
              UniqueCheck check) const override;

  std::unique_ptr<IndexScan> BeginScan(const IndexRelation& index, int nkeys,
                                       bool want_itup) const override {
    return std::make_unique<BtreeIndexScan>(index, nkeys, want_itup);
  }

  void BulkDelete(const IndexVacuumInfo& info, IndexBulkDeleteResult* stats,
                  IndexBulkDeleteCallback callback, void* arg) const override {
    const BtView view(*info.index);
    const BtBulkDeleteStats r =
        BtBulkDelete(view.bt, [&](storage::ItemPointer tid) { return callback(tid, arg); });
    stats->tuples_removed += static_cast<double>(r.tuples_removed);
    stats->num_index_tuples = static_cast<double>(r.tuples_remaining);
    AddPageDeletionStats(r, stats);
    stats->num_pages = storage::SmgrNBlocks(view.bt.rel.locator, ForkNumber::kMain);
    stats->estimated_count = false;
  }

  void VacuumCleanup(const IndexVacuumInfo& info, IndexBulkDeleteResult* stats) const override {
    if (info.analyze_only) return;
    const BtView view(*info.index);
    const BtBulkDeleteStats r = BtVacuumCleanup(view.bt);
    stats->num_index_tuples = static_cast<double>(r.tuples_remaining);
    AddPageDeletionStats(r, stats);
    stats->num_pages = storage::SmgrNBlocks(view.bt.rel.locator, ForkNumber::kMain);
    stats->estimated_count = false;
  }

  // The generic estimate with btree's descent charges. The planner passes the height it knows;
  // when it passes 0 for an index of more than a meta page and one leaf, the meta page says.
  IndexCostEstimate CostEstimate(const IndexRelation& index,
                                 const IndexCostInputs& inputs) const override {
    IndexCostInputs in = inputs;
    if (in.tree_height == 0 && in.index_pages.value() > 2 &&
        storage::SmgrExists(index.rel.locator, ForkNumber::kMain)) {
      const BtView view(index);
      BlockNumber root;
      uint32_t level = 0;
      internal::ReadMeta(view.bt, &root, &level);
      in.tree_height = static_cast<int>(level);
    }
    in.key_columns = index.key_columns;
    return BtreeLikeCostEstimate(in);
  }
};

bool BtreeIndexAm::Insert(const IndexRelation& index, std::span<const Datum> values,
                          std::span<const bool> isnull, storage::ItemPointer heap_tid,
                          const Relation& heap, UniqueCheck check) const {
  if (values.size() != static_cast<size_t>(index.total_columns()) || isnull.size() != values.size()) {
    throw Error(sqlstate::kInternalError,
                Format("index \"%s\" has %d columns, insert got %zu values", index.rel.name.c_str(),
                       index.total_columns(), values.size()));
  }
  const BtView& view = GetInsertViewCache().Get(index);
  bool has_null_key = false;
  for (int i = 0; i < index.key_columns; ++i) has_null_key |= isnull[static_cast<size_t>(i)];
  if (check != UniqueCheck::kNo && has_null_key && index.nulls_not_distinct) {
    throw Error(sqlstate::kFeatureNotSupported,
                Format("NULLS NOT DISTINCT is not supported by index \"%s\"", index.rel.name.c_str()));
  }
  switch (check) {
    case UniqueCheck::kNo: {
      if (!view.bt.unique) {
        BtInsert(view.bt, &heap, values, isnull, heap_tid);
      } else {
        BtIndex no_check = view.bt;
        no_check.unique = false;
        BtInsert(no_check, &heap, values, isnull, heap_tid);
      }
      return true;
    }
    case UniqueCheck::kYes: {
      if (view.bt.unique) {
        BtInsert(view.bt, &heap, values, isnull, heap_tid);  // BT9
      } else {
        BtIndex with_check = view.bt;
        with_check.unique = true;
        BtInsert(with_check, &heap, values, isnull, heap_tid);
      }
      return true;
    }
    case UniqueCheck::kPartial: {
      // Deferrable constraint: insert first, then look; any live or in-progress equal entry
      // is a possible conflict the caller rechecks at commit (kExisting). Two concurrent
      // inserters each see the other's entry (each inserted before looking).
      BtIndex no_check = view.bt;
      no_check.unique = false;
      BtInsert(no_check, &heap, values, isnull, heap_tid);
      if (has_null_key) return true;
      TransactionId xwait;
      return FindConflict(view.bt, heap, values, heap_tid, false, &xwait) == Conflict::kNone;
    }
    case UniqueCheck::kExisting: {
      // The recheck: nothing inserted; a row version that is itself gone cannot conflict.
      if (has_null_key) return true;
      TransactionId xwait;
      if (HeapHotSearchDirty(heap, heap_tid, &xwait) == HotDirtyResult::kNone) return true;
      for (;;) {
        const Conflict c = FindConflict(view.bt, heap, values, heap_tid, true, &xwait);
        if (c == Conflict::kWait) {
          transam::XactLockTableWait(xwait);  // nothing locked here; then look again
          continue;
        }
        return c == Conflict::kNone;
      }
    }
  }
  return true;
}

}  // namespace

const IndexAm& GetBtreeIndexAm() {
  // Built in place and never destroyed: it owns nothing, and no exit handler is registered
  // that a forked child could run a second time.
  alignas(BtreeIndexAm) static std::byte storage[sizeof(BtreeIndexAm)];
  static const BtreeIndexAm* const am = new (storage) BtreeIndexAm();
  return *am;
}

void RegisterBtreeIndexAm() {
  if (FindIndexAm(kBtreeIndexAmOid) == nullptr) RegisterIndexAm(kBtreeIndexAmOid, GetBtreeIndexAm());
}

}  // namespace keel::access::nbtree
