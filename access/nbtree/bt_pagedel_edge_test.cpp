// Page deletion corner cases: the unique check and the verifier while a leaf is
// half-dead (internal subtree top, leftmost leaf, inserts into the merged range), scans paused
// on a page while it, its left neighbours or its right neighbours are deleted (and neighbours
// split), and all-zero pages left by a failed split being reused. README.md ("Page deletion
// and recycling", BT10, BT16-BT21).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "access/common/varlena.h"
#include "access/heap/heap_test_util.h"
#include "access/nbtree/bt_test_util.h"
#include "access/nbtree/nbtree_internal.h"
#include "access/transam/transam.h"
#include "access/transam/xact.h"
#include "backend/utils/error/error.h"
#include "storage/buffer/bufmgr.h"
#include "storage/smgr/smgr.h"
#include "tests/server/server_harness.h"

namespace keel::access::nbtree {
namespace {

using keel::testing::ServerHarness;
using testing::Int8Table;
using testing::Join;
using testing::WideTextIndex;
using namespace internal;  // NOLINT: white-box test of the module
using storage::OffsetNumber;
using storage::Page;

uint64_t KeyOfTid(storage::ItemPointer tid) {
  return static_cast<uint64_t>(tid.block.value() - 1) * 100 + (tid.offset - 1);
}

[[maybe_unused]] uint32_t IndexBlocks(const BtIndex& index) {
  return storage::SmgrNBlocks(index.rel.locator, ForkNumber::kMain).value();
}

// The number a WideTextIndex key (or high key) starts with.
[[maybe_unused]] uint64_t WideKeyNumber(const WideTextIndex& t, const IndexTupleHeader* it) {
  Datum v[1];
  bool n[1];
  IndexDeformTuple(*t.keys.tupdesc, it, std::span<Datum>(v, 1), std::span<bool>(n, 1));
  const auto* text = static_cast<const std::byte*>(DatumGetPointer(v[0]));
  const std::span<const std::byte> data = VarDataSpan(text);
  return std::strtoull(std::string(reinterpret_cast<const char*>(data.data()), 12).c_str(), nullptr, 10);
}

std::vector<std::string> Verify(const BtIndex& index, BtVerifyStats* stats = nullptr) {
  return BtVerify(index, {}, stats);
}

[[maybe_unused]] std::string InsertOne(Int8Table& t, int64_t k) {
  transam::StartTransaction();
  try {
    (void)t.Insert(k);
  } catch (const Error& e) {
    transam::AbortTransaction();
    return std::string(e.sqlstate().code());
  }
  transam::CommitTransaction();
  return "00000";
}

[[maybe_unused]] void DeleteRow(Int8Table& t, storage::ItemPointer tid) {
  transam::StartTransaction();
  TmFailureData f;
  ASSERT_EQ(HeapDelete(t.heap, tid, transam::GetCurrentCommandId(true), nullptr, true, &f), TmResult::kOk);
  transam::CommitTransaction();
}

[[maybe_unused]] int64_t KeyOfItem(Int8Table& t, const IndexTupleHeader* it) {
  Datum v[1];
  bool n[1];
  IndexDeformTuple(*t.keys.tupdesc, it, std::span<Datum>(v, 1), std::span<bool>(n, 1));
  return DatumGetInt64(v[0]);
}

// --- all-zero pages (an error between ExtendBuffer and the split record) ---------------------

// A page extended and abandoned (all zero) is reclaimed by VACUUM and taken by the next split:
// the file does not grow.
TEST(BtPageDelFixTest, ZeroPageIsReusedBySplit) {
  ServerHarness harness;
  WideTextIndex t(200);
  t.Create();
  transam::StartTransaction();
  for (uint64_t k = 0; k < 300; ++k) t.Insert(k * 2);
  transam::CommitTransaction();
  BlockNumber zero_block;
  {
    auto [buf, block] = storage::ExtendBuffer(t.index.rel.locator, ForkNumber::kMain);
    zero_block = block;
    LockedPage abandoned = LockedPage::Adopt(buf);  // released untouched: stays all zero
  }
  EXPECT_EQ(BtVacuumCleanup(t.index).pages_free, 1u);
  // Enough inserts for a leaf split or two (about 37 keys per leaf): the first takes the page.
  transam::StartTransaction();
  for (uint64_t k = 0; k < 60; ++k) t.Insert(k * 2 + 1);
  transam::CommitTransaction();
  {
    LockedPage p(t.index, zero_block, storage::BufferLockMode::kShare);
    EXPECT_FALSE(storage::PageIsNew(p.page())) << "the zero page was not reused";
  }
  const std::vector<std::string> problems = Verify(t.index);
  EXPECT_TRUE(problems.empty()) << Join(problems);
  EXPECT_EQ(t.Count(ScanDirection::kForward), 360u);
  EXPECT_EQ(t.Count(ScanDirection::kBackward), 360u);
}

// --- the leaf level as seen from the file -----------------------------------------------------

struct LeafInfo {
  uint32_t block;
  std::vector<uint64_t> keys;
  uint32_t parent;     // level-1 page holding its downlink
  bool last_child;     // its downlink is the parent's last
};

// Live leaves left to right with their keys and parents (quiescent index, levels >= 2).
std::vector<LeafInfo> Leaves(const BtIndex& index) {
  std::map<uint32_t, std::pair<uint32_t, bool>> parent_of;
  for (BlockNumber b = LeftmostAtLevel(index, 1);;) {
    LockedPage p(index, b, storage::BufferLockMode::kShare);
    const Page pg = p.page();
    if (!IsDead(pg)) {
      for (OffsetNumber o = FirstData(pg); o <= MaxOff(pg); ++o) {
        parent_of[Item(pg, o)->tid_block] = {b.value(), o == MaxOff(pg)};
      }
    }
    if (IsRightmost(pg)) break;
    b = BlockNumber(Opaque(pg)->right);
  }
  std::vector<LeafInfo> out;
  for (BlockNumber b = LeftmostAtLevel(index, 0);;) {
    LockedPage p(index, b, storage::BufferLockMode::kShare);
    const Page pg = p.page();
    if (!IsDead(pg)) {
      LeafInfo info{b.value(), {}, parent_of[b.value()].first, parent_of[b.value()].second};
      for (OffsetNumber o = FirstData(pg); o <= MaxOff(pg); ++o) info.keys.push_back(KeyOfTid(Item(pg, o)->Tid()));
      out.push_back(std::move(info));
    }
    if (IsRightmost(pg)) break;
    b = BlockNumber(Opaque(pg)->right);
  }
  return out;
}

bool IsDeletedBlock(const BtIndex& index, uint32_t block) {
  LockedPage p(index, BlockNumber(block), storage::BufferLockMode::kShare);
  return (Opaque(p.page())->flags & kBtDeleted) != 0;
}

uint32_t RightLink(const BtIndex& index, uint32_t block) {
  LockedPage p(index, BlockNumber(block), storage::BufferLockMode::kShare);
  return Opaque(p.page())->right;
}

// Even keys 0..2*(n-1) in random order (200-byte keys: about 37 per leaf, 3 levels); odd keys
// are free for later inserts into any page's range.
void LoadEven(WideTextIndex& t, std::set<uint64_t>* model, uint64_t n = 6000) {
  std::vector<uint64_t> keys;
  for (uint64_t i = 0; i < n; ++i) keys.push_back(2 * i);
  std::shuffle(keys.begin(), keys.end(), std::mt19937_64(11));
  transam::StartTransaction();
  for (uint64_t k : keys) t.Insert(k);
  transam::CommitTransaction();
  model->insert(keys.begin(), keys.end());
}

// Deletes every entry of the leaves [first, first + count) (one parent, none its last child,
// checked) and asserts that those pages were deleted.
void DeleteLeaves(const WideTextIndex& t, const std::vector<LeafInfo>& leaves, size_t first, size_t count,
                  std::set<uint64_t>* model) {
  std::set<uint64_t> doomed;
  for (size_t i = first; i < first + count; ++i) {
    ASSERT_EQ(leaves[i].parent, leaves[first].parent);
    ASSERT_FALSE(leaves[i].last_child);
    doomed.insert(leaves[i].keys.begin(), leaves[i].keys.end());
  }
  for (uint64_t k : doomed) model->erase(k);
  const BtBulkDeleteStats s =
      BtBulkDelete(t.index, [&](storage::ItemPointer tid) { return doomed.count(KeyOfTid(tid)) != 0; });
  EXPECT_EQ(s.pages_deleted, count);
  for (size_t i = first; i < first + count; ++i) {
    ASSERT_TRUE(IsDeletedBlock(t.index, leaves[i].block)) << "leaf " << i << " block " << leaves[i].block;
  }
}

// Inserts the odd keys in the range of leaf `l` (new entries, enough to split it).
void SplitLeaf(WideTextIndex& t, const LeafInfo& l, std::set<uint64_t>* model) {
  const uint32_t right_before = RightLink(t.index, l.block);
  for (uint64_t k = l.keys.front() + 1; k < l.keys.back(); k += 2) {
    t.Insert(k);
    model->insert(k);
  }
  ASSERT_NE(RightLink(t.index, l.block), right_before) << "leaf " << l.block << " did not split";
}

// Index of a leaf with `before` leaves left and `after` right under the same parent, none of
// them its parent's last child, in the middle of the key space.
size_t PickLeaf(const std::vector<LeafInfo>& leaves, size_t before, size_t after) {
  for (size_t i = leaves.size() / 2; i + after + 1 < leaves.size(); ++i) {
    if (i < before) continue;
    bool ok = true;
    for (size_t j = i - before; j <= i + after; ++j) {
      ok &= leaves[j].parent == leaves[i].parent && !leaves[j].last_child && leaves[j].keys.size() >= 4;
    }
    if (ok) return i;
  }
  ADD_FAILURE() << "no suitable leaf";
  return leaves.size() / 2;
}

enum class Victim : uint8_t { kSelf, kLeft, kLeftRunAndSplit, kRight, kRightRunAndSplit };

// A scan paused on leaf B (after returning two entries of it; the BtScan object is held) while
// VACUUM deletes `victim`; then it finishes. The result is exact: B's copied entries beyond the
// position, then exactly the surviving (and newly inserted) entries beyond B's old range.
void RunPausedScan(ScanDirection dir, Victim victim) {
  ServerHarness harness;
  WideTextIndex t(200);
  t.Create();
  std::set<uint64_t> model;
  LoadEven(t, &model);
  transam::StartTransaction();  // BT19: the scan is protected by a published xmin
  (void)transam::GetTransactionSnapshot();
  const std::vector<LeafInfo> leaves = Leaves(t.index);
  const bool fwd = dir == ScanDirection::kForward;
  const size_t b = PickLeaf(leaves, 4, 4);
  const LeafInfo& B = leaves[b];
  const std::vector<std::byte> start = t.Key(fwd ? B.keys.front() : B.keys.back());
  BtScan scan(t.index, {{0, fwd ? BtStrategy::kGreaterEqual : BtStrategy::kLessEqual, PointerGetDatum(start.data())}},
              dir);
  std::vector<uint64_t> got;
  storage::ItemPointer tid;
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(scan.Next(dir, &tid, nullptr));
    got.push_back(KeyOfTid(tid));
  }
  ASSERT_EQ(got[0], fwd ? B.keys.front() : B.keys.back());

  // The expected result: B's entries beyond the position as copied, then the model beyond B.
  std::vector<uint64_t> want = got;
  switch (victim) {
    case Victim::kSelf: DeleteLeaves(t, leaves, b, 1, &model); break;
    case Victim::kLeft: DeleteLeaves(t, leaves, b - 1, 1, &model); break;
    case Victim::kRight: DeleteLeaves(t, leaves, b + 1, 1, &model); break;
    case Victim::kLeftRunAndSplit:
      DeleteLeaves(t, leaves, b - 3, 3, &model);
      SplitLeaf(t, leaves[b - 4], &model);  // the live left neighbour now
      break;
    case Victim::kRightRunAndSplit:
      DeleteLeaves(t, leaves, b + 1, 3, &model);
      SplitLeaf(t, leaves[b + 4], &model);  // the live right neighbour now
      break;
  }
  if (fwd) {
    for (size_t i = 2; i < B.keys.size(); ++i) want.push_back(B.keys[i]);
    for (auto it = model.upper_bound(B.keys.back()); it != model.end(); ++it) want.push_back(*it);
  } else {
    for (size_t i = B.keys.size() - 2; i-- > 0;) want.push_back(B.keys[i]);
    for (auto it = model.lower_bound(B.keys.front()); it != model.begin();) want.push_back(*--it);
  }
  while (scan.Next(dir, &tid, nullptr)) got.push_back(KeyOfTid(tid));
  EXPECT_EQ(got, want);
  transam::CommitTransaction();
  const std::vector<std::string> problems = Verify(t.index);
  EXPECT_TRUE(problems.empty()) << Join(problems);
}

TEST(BtPageDelFixTest, ForwardScanPausedOnDeletedPage) { RunPausedScan(ScanDirection::kForward, Victim::kSelf); }
TEST(BtPageDelFixTest, ForwardScanPausedLeftDeleted) { RunPausedScan(ScanDirection::kForward, Victim::kLeft); }
TEST(BtPageDelFixTest, ForwardScanPausedRightDeleted) { RunPausedScan(ScanDirection::kForward, Victim::kRight); }
TEST(BtPageDelFixTest, ForwardScanPausedRightRunDeletedNeighbourSplit) {
  RunPausedScan(ScanDirection::kForward, Victim::kRightRunAndSplit);
}
TEST(BtPageDelFixTest, BackwardScanPausedOnDeletedPage) { RunPausedScan(ScanDirection::kBackward, Victim::kSelf); }
TEST(BtPageDelFixTest, BackwardScanPausedLeftDeleted) { RunPausedScan(ScanDirection::kBackward, Victim::kLeft); }
TEST(BtPageDelFixTest, BackwardScanPausedRightDeleted) { RunPausedScan(ScanDirection::kBackward, Victim::kRight); }
TEST(BtPageDelFixTest, BackwardScanPausedLeftRunDeletedNeighbourSplit) {
  RunPausedScan(ScanDirection::kBackward, Victim::kLeftRunAndSplit);
}

#ifdef KEEL_DEBUG
// --- the unique check while a leaf is half-dead ------------------------------------------------

Int8Table* g_t = nullptr;
uint32_t g_target = 0;
int64_t g_key = 0;
bool g_done = false;
std::string g_first, g_second;
std::vector<std::string> g_problems;

void UniqueHook(int stage) {
  if (stage != 1 || g_done) return;
  {
    LockedPage p(g_t->index, BlockNumber(g_target), storage::BufferLockMode::kShare);
    if ((Opaque(p.page())->flags & kBtHalfDead) == 0) return;
  }
  g_done = true;
  g_first = InsertOne(*g_t, g_key);
  g_problems = BtVerify(g_t->index);
  g_second = InsertOne(*g_t, g_key);
}

// A unique index: the leaf L whose first entry has key K (dead versions of K straddle its left
// neighbour and L) is emptied and becomes half-dead; while it is, K may be inserted once, and
// a second insert of K must fail (the equal-key walk must not stop at L's high key: L's range
// went to its right sibling, which now holds the first K).
TEST(BtPageDelFixTest, UniqueCheckPassesHalfDeadLeaf) {
  ServerHarness harness;
  Int8Table t(/*unique=*/true);
  t.Create();
  transam::StartTransaction();
  for (int64_t k = 0; k < 4000; ++k) (void)t.Insert(k * 10);
  transam::CommitTransaction();
  const std::vector<int64_t> versioned = {5005, 10005, 15005, 20005, 25005, 30005, 35005};
  for (int64_t key : versioned) {
    for (int i = 0; i < 300; ++i) {
      transam::StartTransaction();
      const storage::ItemPointer tid = t.Insert(key);
      transam::CommitTransaction();
      DeleteRow(t, tid);
    }
  }
  // A leaf whose first entry has a versioned key and whose high key is above it.
  uint32_t target = 0;
  int64_t key = 0;
  std::vector<storage::ItemPointer> tids;
  std::vector<int64_t> keys_on_page;
  for (BlockNumber b = LeftmostAtLevel(t.index, 0);;) {
    LockedPage p(t.index, b, storage::BufferLockMode::kShare);
    const Page pg = p.page();
    if (IsRightmost(pg)) break;
    if (FirstData(pg) <= MaxOff(pg)) {
      const int64_t first = KeyOfItem(t, Item(pg, FirstData(pg)));
      const int64_t hk = KeyOfItem(t, Item(pg, kHighKey));
      if (std::find(versioned.begin(), versioned.end(), first) != versioned.end() && hk > first) {
        target = b.value();
        key = first;
        for (OffsetNumber o = FirstData(pg); o <= MaxOff(pg); ++o) {
          tids.push_back(Item(pg, o)->Tid());
          keys_on_page.push_back(KeyOfItem(t, Item(pg, o)));
        }
        break;
      }
    }
    b = BlockNumber(Opaque(pg)->right);
  }
  ASSERT_NE(target, 0u) << "no suitable leaf";
  for (size_t i = 0; i < tids.size(); ++i) {
    if (keys_on_page[i] != key) DeleteRow(t, tids[i]);  // the whole leaf is dead
  }
  const std::set<storage::ItemPointer> dead(tids.begin(), tids.end());
  g_t = &t;
  g_target = target;
  g_key = key;
  TestOnlySetPageDelHook(&UniqueHook);
  (void)BtBulkDelete(t.index, [&](storage::ItemPointer tid) { return dead.count(tid) != 0; });
  TestOnlySetPageDelHook(nullptr);
  ASSERT_TRUE(g_done) << "the leaf never became half-dead";
  EXPECT_EQ(g_first, "00000");
  EXPECT_TRUE(g_problems.empty()) << "verifier while the leaf is half-dead:\n" << Join(g_problems);
  EXPECT_EQ(g_second, "23505") << "second insert of the same key into a unique index succeeded";
  transam::StartTransaction();
  const transam::Snapshot& snap = transam::GetTransactionSnapshot();
  EXPECT_EQ(t.IndexScanVisible(snap, {{0, BtStrategy::kEqual, Int64GetDatum(key)}}, ScanDirection::kForward).size(),
            1u);
  transam::CommitTransaction();
  const std::vector<std::string> problems = BtVerify(t.index);
  EXPECT_TRUE(problems.empty()) << Join(problems);
}

// --- the verifier while a leaf is half-dead ------------------------------------------------------

// The half-dead leaf wanted: its subtree's top is an internal page or the leaf itself, and
// the top is the leftmost page of its level or not.
struct Want {
  bool internal_top;
  bool leftmost;
};

WideTextIndex* g_w = nullptr;
Want g_want{};
int g_checked = 0;
std::vector<std::string> g_before, g_after;
std::vector<uint64_t> g_inserted;

// At stage 1: when the half-dead leaf is the wanted kind, verify, insert keys into its old key
// range (they go to its right sibling), verify again.
void HalfDeadHook(int stage) {
  if (stage != 1 || g_checked > 0) return;
  const uint32_t n = IndexBlocks(g_w->index);
  for (uint32_t b = 1; b < n; ++b) {
    LockedPage p(g_w->index, BlockNumber(b), storage::BufferLockMode::kShare);
    if (storage::PageIsNew(p.page())) continue;
    const BtPageOpaque* o = Opaque(p.page());
    if ((o->flags & kBtHalfDead) == 0) continue;
    const uint32_t top = static_cast<uint32_t>(o->xact);
    if ((top != b) != g_want.internal_top) continue;
    const uint64_t high = WideKeyNumber(*g_w, Item(p.page(), kHighKey));
    p.Release();
    {
      LockedPage tp(g_w->index, BlockNumber(top), storage::BufferLockMode::kShare);
      if ((Opaque(tp.page())->left == kNoBlock) != g_want.leftmost) continue;
    }
    ++g_checked;
    g_before = BtVerify(g_w->index);
    // New entries just below the old high key (odd keys are not in the index).
    for (uint64_t k = high - 1; k + 12 > high && k > 0; k -= 2) {
      g_w->Insert(k);
      g_inserted.push_back(k);
    }
    g_after = BtVerify(g_w->index);
    return;
  }
}

void RunHalfDeadVerify(Want want, uint64_t nkeys, bool (*doomed)(uint64_t)) {
  ServerHarness harness;
  WideTextIndex t(200);
  t.Create();
  std::set<uint64_t> model;
  LoadEven(t, &model, nkeys);
  g_w = &t;
  g_want = want;
  g_checked = 0;
  g_inserted.clear();
  TestOnlySetPageDelHook(&HalfDeadHook);
  (void)BtBulkDelete(t.index, [&](storage::ItemPointer tid) { return doomed(KeyOfTid(tid)); });
  TestOnlySetPageDelHook(nullptr);
  ASSERT_EQ(g_checked, 1) << "no half-dead leaf of the wanted kind";
  EXPECT_TRUE(g_before.empty()) << "while half-dead:\n" << Join(g_before);
  EXPECT_TRUE(g_after.empty()) << "after inserts into the merged range:\n" << Join(g_after);
  EXPECT_FALSE(g_inserted.empty());
  for (auto it = model.begin(); it != model.end();) it = doomed(*it) ? model.erase(it) : std::next(it);
  model.insert(g_inserted.begin(), g_inserted.end());
  BtVerifyStats stats;
  const std::vector<std::string> problems = Verify(t.index, &stats);
  EXPECT_TRUE(problems.empty()) << Join(problems);
  EXPECT_EQ(stats.half_dead_pages, 0u);
  EXPECT_EQ(stats.leaf_entries, model.size());
  std::vector<uint64_t> all;
  BtScan scan(t.index, {}, ScanDirection::kForward);
  storage::ItemPointer tid;
  while (scan.Next(&tid)) all.push_back(KeyOfTid(tid));
  EXPECT_EQ(all, std::vector<uint64_t>(model.begin(), model.end()));
}

bool DoomedWide(uint64_t k) {
  return k < 3000 || (k >= 5000 && k < 8000) || k >= 10000 || (k >= 8000 && k % 100 != 0);
}
bool DoomedLow(uint64_t k) { return k < 200; }

TEST(BtPageDelFixTest, VerifierWithHalfDeadInternalSubtree) {
  RunHalfDeadVerify({true, false}, 6000, &DoomedWide);
}
TEST(BtPageDelFixTest, VerifierWithHalfDeadLeftmostInternalSubtree) {
  RunHalfDeadVerify({true, true}, 6000, &DoomedWide);
}
TEST(BtPageDelFixTest, VerifierWithHalfDeadLeftmostLeaf) { RunHalfDeadVerify({false, true}, 3000, &DoomedLow); }
#endif

}  // namespace
}  // namespace keel::access::nbtree
