// The cluster-wide oid counter over the real shared state: reservation by NEXTOID records,
// checkpoints recording the unreserved value, no oid handed out twice across crashes (with and
// without checkpoints, from several processes), wraparound. README.md ("The oid counter").
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "access/transam/control_file.h"
#include "access/transam/rmgr.h"
#include "access/transam/transam.h"
#include "access/transam/wal.h"
#include "access/transam/wal_reader.h"
#include "access/transam/wal_xlog.h"
#include "tests/server/server_harness.h"

namespace keel::transam {
namespace {

using keel::testing::ServerHarness;

constexpr int kWaitMs = 30'000;

// Hands out `n` oids and returns them.
std::vector<uint32_t> TakeOids(int n) {
  std::vector<uint32_t> oids;
  oids.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) oids.push_back(GetNewObjectId().value());
  return oids;
}

// Every NEXTOID record from `start` on (their values, in WAL order).
std::vector<uint32_t> NextOidRecordsFrom(const std::string& dir, Lsn start) {
  WalFlush(WalInsertPosition());
  WalReader reader(dir + "/wal", start);
  std::vector<uint32_t> values;
  while (std::optional<DecodedRecord> record = reader.Next()) {
    if (record->rmgr != RmgrId::kXlog || record->info != kXlogNextOid) continue;
    uint32_t value = 0;
    EXPECT_EQ(record->main_data.size(), sizeof(value));
    std::memcpy(&value, record->main_data.data(), sizeof(value));
    values.push_back(value);
    const RmgrOps* ops = GetRmgr(RmgrId::kXlog);
    EXPECT_STREQ(ops->identify(record->info), "NEXTOID");
    EXPECT_EQ(ops->describe(*record), std::to_string(value));
  }
  return values;
}

TEST(OidCounterTest, ReservesAheadWithDurableNextOidRecords) {
  ServerHarness harness;
  const Lsn start = WalInsertPosition();
  // A fresh cluster starts at 16384 (the control file's next_oid) with nothing reserved.
  EXPECT_EQ(ReadNextUnreservedObjectId(), Oid(kFirstNormalOid));
  EXPECT_EQ(GetNewObjectId(), Oid(kFirstNormalOid));
  // O2: the first oid needed a reservation, which is durable before the oid was returned.
  EXPECT_EQ(ReadNextUnreservedObjectId(), Oid(kFirstNormalOid + kOidPrefetch));
  EXPECT_GE(WalFlushPosition(), WalInsertPosition());
  // The rest of the block comes without WAL, in order.
  const Lsn after_first = WalInsertPosition();
  const std::vector<uint32_t> block = TakeOids(static_cast<int>(kOidPrefetch) - 1);
  for (size_t i = 0; i < block.size(); ++i) ASSERT_EQ(block[i], kFirstNormalOid + 1 + i);
  EXPECT_EQ(WalInsertPosition(), after_first);
  // The next one starts a new reservation.
  EXPECT_EQ(GetNewObjectId(), Oid(kFirstNormalOid + kOidPrefetch));
  EXPECT_EQ(ReadNextUnreservedObjectId(), Oid(kFirstNormalOid + 2 * kOidPrefetch));
  EXPECT_EQ(NextOidRecordsFrom(harness.dir(), start),
            (std::vector<uint32_t>{kFirstNormalOid + kOidPrefetch,
                                   kFirstNormalOid + 2 * kOidPrefetch}));
}

TEST(OidCounterTest, NoOidIsHandedOutAgainAfterACrash) {
  ServerHarness harness;
  std::set<uint32_t> seen;
  auto take = [&](int n) {
    for (uint32_t oid : TakeOids(n)) {
      ASSERT_GE(oid, kFirstNormalOid);
      ASSERT_TRUE(seen.insert(oid).second) << "oid " << oid << " handed out twice";
    }
  };
  take(10);
  harness.Crash();  // redo of the NEXTOID record only
  take(10);
  take(static_cast<int>(kOidPrefetch));  // crosses a reservation boundary
  harness.Crash();
  take(5);
  harness.Checkpoint();  // the checkpoint's value, no NEXTOID after its redo pointer
  harness.Crash();
  take(3);
  harness.Checkpoint();
  take(static_cast<int>(kOidPrefetch) + 1);  // a NEXTOID record after the checkpoint
  harness.Crash();
  take(1);
  // Another process's oids (it exits without anything else) are never repeated either.
  const std::string file = harness.dir() + "/child_oids";
  const pid_t child = harness.ForkBackend([&] {
    const std::vector<uint32_t> oids = TakeOids(100);
    const int fd = open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const size_t bytes = oids.size() * sizeof(uint32_t);
    const bool ok = fd >= 0 && write(fd, oids.data(), bytes) == static_cast<ssize_t>(bytes);
    close(fd);
    return ok ? 0 : 1;
  });
  ASSERT_EQ(harness.Wait(child, kWaitMs), 0);
  std::vector<uint32_t> child_oids(100);
  const int fd = open(file.c_str(), O_RDONLY);
  ASSERT_EQ(read(fd, child_oids.data(), child_oids.size() * sizeof(uint32_t)),
            static_cast<ssize_t>(child_oids.size() * sizeof(uint32_t)));
  close(fd);
  for (uint32_t oid : child_oids) ASSERT_TRUE(seen.insert(oid).second) << oid;
  harness.Crash();
  take(20);
  EXPECT_EQ(seen.size(), 10u + 10 + kOidPrefetch + 5 + 3 + kOidPrefetch + 1 + 1 + 100 + 20);
}

TEST(OidCounterTest, CheckpointRecordsTheFirstUnreservedOid) {
  ServerHarness harness;
  (void)TakeOids(7);
  harness.Checkpoint();
  // O3: the record and the control file carry the value no reservation covers yet.
  const ControlFileData control = ReadControlFile(harness.dir());
  EXPECT_EQ(control.next_oid, kFirstNormalOid + kOidPrefetch);
  EXPECT_EQ(ReadNextUnreservedObjectId(), Oid(control.next_oid));
  harness.Crash();
  // O4: recovery continues from there (nothing after the redo pointer moved it).
  EXPECT_EQ(ReadNextUnreservedObjectId(), Oid(kFirstNormalOid + kOidPrefetch));
  EXPECT_EQ(GetNewObjectId(), Oid(kFirstNormalOid + kOidPrefetch));
}

TEST(OidCounterTest, ConcurrentProcessesGetDistinctOids) {
  ServerHarness harness;
  constexpr int kChildren = 3;
  constexpr int kPerChild = 6000;  // crosses several reservations while others do too
  std::vector<pid_t> children;
  for (int c = 0; c < kChildren; ++c) {
    const std::string file = harness.dir() + "/oids_" + std::to_string(c);
    children.push_back(harness.ForkBackend([file] {
      const std::vector<uint32_t> oids = TakeOids(kPerChild);
      const int fd = open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      const size_t bytes = oids.size() * sizeof(uint32_t);
      const bool ok = fd >= 0 && write(fd, oids.data(), bytes) == static_cast<ssize_t>(bytes);
      close(fd);
      return ok ? 0 : 1;
    }));
  }
  for (pid_t child : children) ASSERT_EQ(harness.Wait(child, kWaitMs), 0);
  std::set<uint32_t> all;
  for (int c = 0; c < kChildren; ++c) {
    std::vector<uint32_t> oids(kPerChild);
    const int fd = open((harness.dir() + "/oids_" + std::to_string(c)).c_str(), O_RDONLY);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(read(fd, oids.data(), oids.size() * sizeof(uint32_t)),
              static_cast<ssize_t>(oids.size() * sizeof(uint32_t)));
    close(fd);
    EXPECT_TRUE(std::is_sorted(oids.begin(), oids.end())) << "each process's oids increase";
    all.insert(oids.begin(), oids.end());
  }
  EXPECT_EQ(all.size(), static_cast<size_t>(kChildren * kPerChild)) << "no oid twice";
  EXPECT_EQ(*all.begin(), kFirstNormalOid);
  EXPECT_EQ(*all.rbegin(), kFirstNormalOid + kChildren * kPerChild - 1) << "no gaps either";
}

TEST(OidCounterTest, WrapsAroundToFirstNormalOid) {
  ServerHarness harness;
  SetNextObjectId(Oid(0xFFFFFFFEu));
  EXPECT_EQ(GetNewObjectId(), Oid(0xFFFFFFFEu));
  EXPECT_EQ(GetNewObjectId(), Oid(0xFFFFFFFFu));
  // O5: past 2^32 - 1 the counter restarts at 16384 with a fresh reservation.
  EXPECT_EQ(GetNewObjectId(), Oid(kFirstNormalOid));
  EXPECT_EQ(GetNewObjectId(), Oid(kFirstNormalOid + 1));
  EXPECT_EQ(ReadNextUnreservedObjectId(), Oid(kFirstNormalOid + kOidPrefetch));
  harness.Crash();
  // Redo replays the wrapped reservation (0xFFFFFFFE + 8192 wraps to 8190), then the new one:
  // it set the counter to the last reservation's end, past everything handed out.
  EXPECT_EQ(GetNewObjectId(), Oid(kFirstNormalOid + kOidPrefetch));
}

TEST(OidCounterTest, WrappedReservationAloneRestartsAtFirstNormalOid) {
  ServerHarness harness;
  SetNextObjectId(Oid(0xFFFFFFF0u));
  EXPECT_EQ(GetNewObjectId(), Oid(0xFFFFFFF0u));  // reserves up to 0xFFFFFFF0 + 8192 (wrapped)
  harness.Crash();
  // Redo leaves the counter at the wrapped value, below the normal range: O5 restarts it.
  EXPECT_EQ(GetNewObjectId(), Oid(kFirstNormalOid));
}

}  // namespace
}  // namespace keel::transam
