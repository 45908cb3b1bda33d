// The scan's leaf pin (BT27) after an abort dropped every pin of the process: a surviving scan
// must not release (or copy) a pin it no longer has, which may by then be another scan's pin on
// the same leaf (storage/buffer B13). README.md ("Index-only scans", "Tests").
#include <gtest/gtest.h>

#include <memory>

#include "access/nbtree/bt_test_util.h"
#include "access/nbtree/nbtree_internal.h"
#include "storage/buffer/bufmgr.h"
#include "tests/server/server_harness.h"

namespace keel::access::nbtree {
namespace {

using keel::testing::ServerHarness;
using storage::ItemPointer;

struct Int8Index {
  TupleDesc desc{{AttributeForType("k", type_oid::kInt8)}};
  IndexKeyDesc keys;
  BtIndex index;
  explicit Int8Index(uint32_t rel) {
    keys.tupdesc = &desc;
    keys.keys.push_back(IndexKeyColumnForType(type_oid::kInt8));
    keys.names = {"k"};
    index.rel = ServerHarness::TestRelation(rel, "t_k");
    index.keys = &keys;
  }
  void Create() {
    transam::StartTransaction();
    BtCreateIndex(index);
    transam::CommitTransaction();
  }
  void Insert(int64_t k) {
    const Datum v = Int64GetDatum(k);
    const bool n = false;
    const ItemPointer tid{BlockNumber(static_cast<uint32_t>(k / 100 + 1)), static_cast<storage::OffsetNumber>(k % 100 + 1)};
    BtInsert(index, nullptr, std::span<const Datum>(&v, 1), std::span<const bool>(&n, 1), tid);
  }
};

// Scan A keeps its pin on the only leaf; error cleanup drops every pin; scan B pins the leaf;
// A goes away (and a copy of A's position, its mark, too): B's pin must survive, so another
// process cannot take the cleanup lock on the leaf B is returning entries from (BT28).
TEST(BtLeafPinTest, StaleScanDoesNotReleaseAnotherScansPin) {
  ServerHarness harness;
  Int8Index idx(16412);
  idx.Create();
  for (int64_t i = 0; i < 50; ++i) idx.Insert(i);
  BtScanOptions keep;
  keep.keep_leaf_pin = true;
  auto a = std::make_unique<BtScan>(idx.index, std::vector<BtScanKey>{}, ScanDirection::kForward, keep);
  ItemPointer tid;
  ASSERT_TRUE(a->Next(&tid));
  a->Mark();  // a second pin, held by the mark
  const storage::Buffer leaf = storage::ReadBuffer(idx.index.rel.locator, ForkNumber::kMain, BlockNumber(1));
  storage::ReleaseBuffer(leaf);
  ASSERT_TRUE(storage::BufferIsPinnedByMe(leaf));  // a's pins
  (void)storage::ReleaseAllBufferPins();            // error cleanup (AbortTransaction)
  ASSERT_FALSE(storage::BufferIsPinnedByMe(leaf));
  BtScan b(idx.index, {}, ScanDirection::kForward, keep);
  ASSERT_TRUE(b.Next(&tid));  // b pins the leaf (BT27)
  ASSERT_TRUE(storage::BufferIsPinnedByMe(leaf));
  a.reset();  // the stale scan goes away, with its mark
  EXPECT_TRUE(storage::BufferIsPinnedByMe(leaf)) << "b's pin was released by a";
  const pid_t pid = harness.ForkBackend([&]() -> int {
    const storage::Buffer buf = storage::ReadBuffer(idx.index.rel.locator, ForkNumber::kMain, BlockNumber(1));
    const bool got = storage::ConditionalLockBufferForCleanup(buf);
    if (got) storage::UnlockBuffer(buf);
    storage::ReleaseBuffer(buf);
    return got ? 1 : 0;
  });
  EXPECT_EQ(harness.Wait(pid), 0) << "cleanup lock granted while scan b holds its pin";
  // b still reads on normally and gives its pin back at the end.
  int n = 1;
  while (b.Next(&tid)) ++n;
  EXPECT_EQ(n, 50);
  EXPECT_FALSE(storage::BufferIsPinnedByMe(leaf));
  EXPECT_EQ(storage::ReleaseAllBufferPins(), 0);
}

// Restore copies the mark's position, pin included: a mark whose pin is gone copies as none
// (no pin is taken on a buffer this scan no longer holds), and the scan reads on.
TEST(BtLeafPinTest, RestoreAfterAbortCopiesNoPin) {
  ServerHarness harness;
  Int8Index idx(16413);
  idx.Create();
  for (int64_t i = 0; i < 50; ++i) idx.Insert(i);
  BtScanOptions keep;
  keep.keep_leaf_pin = true;
  BtScan scan(idx.index, {}, ScanDirection::kForward, keep);
  ItemPointer tid;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(scan.Next(&tid));
  scan.Mark();
  ASSERT_TRUE(scan.Next(&tid));
  (void)storage::ReleaseAllBufferPins();
  scan.Restore();
  int n = 5;
  while (scan.Next(&tid)) ++n;
  EXPECT_EQ(n, 50);
  EXPECT_EQ(storage::ReleaseAllBufferPins(), 0) << "a pin was taken for the stale mark";
}

}  // namespace
}  // namespace keel::access::nbtree
