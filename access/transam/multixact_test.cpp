// Tests of multixacts over the real shared state (server harness): the SLRU mapping, creation
// and lookup through page eviction, de-duplication and filtering, waiting for conflicting
// members in another process, the counters and entries across checkpoints and crashes (redo),
// and the WAL record's description. README.md ("Multixacts", Tests).
#include "access/transam/multixact.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "access/transam/rmgr.h"
#include "access/transam/slru.h"
#include "access/transam/transam.h"
#include "access/transam/wal.h"
#include "access/transam/wal_reader.h"
#include "access/transam/xact.h"
#include "access/transam/xact_test_util.h"
#include "backend/utils/error/error.h"
#include "tests/server/server_harness.h"

namespace keel::transam {
namespace {

using keel::testing::ServerHarness;
using testing::ValuePipe;

// A deterministic member list for multi number `i`: 1..7 members, statuses cycling.
std::vector<MultiXactMember> MembersFor(uint64_t i) {
  std::vector<MultiXactMember> out;
  const uint64_t n = 1 + i % 7;
  for (uint64_t k = 0; k < n; ++k) {
    // Real (assigned) xids: redo keeps every member xid below next_xid (X2).
    out.push_back({TransactionId(3 + (i * 7 + k) % 64), static_cast<MultiXactStatus>((i + k) % 4)});
  }
  if (i % 3 == 0) out.back().status = MultiXactStatus::kNoKeyUpdate;  // at most one update
  return out;
}

// Assigns (and commits) xids until next_xid passes every xid MembersFor uses.
void BurnXids() {
  while (ReadNextTransactionId().value() <= 70) {
    StartTransaction();
    (void)GetCurrentTransactionId();
    CommitTransaction();
  }
}

// Creates `count` multis (raw members) in a committed transaction, so that their WAL is flushed
// by the commit; returns their ids.
std::vector<MultiXactId> CreateMany(uint64_t first_index, uint64_t count) {
  BurnXids();
  std::vector<MultiXactId> ids;
  StartTransaction();
  (void)GetCurrentTransactionId();  // a commit record, flushed: the creations become durable
  for (uint64_t i = first_index; i < first_index + count; ++i) {
    ids.push_back(MultiXactIdCreateFromMembers(MembersFor(i)));
  }
  CommitTransaction();
  return ids;
}

void ExpectMembers(const std::vector<MultiXactId>& ids, uint64_t first_index) {
  for (size_t j = 0; j < ids.size(); ++j) {
    ASSERT_EQ(GetMultiXactIdMembers(ids[j]), MembersFor(first_index + j)) << "multi " << ids[j].value();
  }
}

TEST(MultiXactTest, SlruMapping) {
  // M1: 512 offset entries and 512 member entries per 8 KiB page, 16 bytes each.
  EXPECT_EQ(kMultiXactOffsetsPerPage, 512u);
  EXPECT_EQ(kMultiXactMembersPerPage, 512u);
  EXPECT_EQ(MultiXactOffsetsPageOf(MultiXactId(1)), 0);
  EXPECT_EQ(MultiXactOffsetsPageOf(MultiXactId(511)), 0);
  EXPECT_EQ(MultiXactOffsetsPageOf(MultiXactId(512)), 1);
  EXPECT_EQ(MultiXactOffsetsPageOf(MultiXactId(1ull << 40)), int64_t{1} << 31);
  EXPECT_EQ(MultiXactMembersPageOf(0), 0);
  EXPECT_EQ(MultiXactMembersPageOf(1023), 1);
  EXPECT_EQ(MultiXactMembersPageOf(1024), 2);
  // The strength table is PostgreSQL's row-lock conflict table (M8).
  using S = MultiXactStatus;
  EXPECT_FALSE(MultiXactStatusesConflict(S::kForKeyShare, S::kForKeyShare));
  EXPECT_FALSE(MultiXactStatusesConflict(S::kForKeyShare, S::kForShare));
  EXPECT_FALSE(MultiXactStatusesConflict(S::kForKeyShare, S::kNoKeyUpdate));
  EXPECT_TRUE(MultiXactStatusesConflict(S::kForKeyShare, S::kUpdate));
  EXPECT_FALSE(MultiXactStatusesConflict(S::kForShare, S::kForShare));
  EXPECT_TRUE(MultiXactStatusesConflict(S::kForShare, S::kForNoKeyUpdate));
  EXPECT_TRUE(MultiXactStatusesConflict(S::kForNoKeyUpdate, S::kNoKeyUpdate));
  EXPECT_TRUE(MultiXactStatusesConflict(S::kForUpdate, S::kForKeyShare));
}

TEST(MultiXactTest, CreateAndReadThroughEvictionAndSegments) {
  ServerHarness harness;
  EXPECT_EQ(ReadNextMultiXactId(), kFirstMultiXactId);
  // 3000 multis: 6 offset pages and ~23 member pages through 16 buffers each (eviction), and
  // a second segment of the members SLRU (32 pages per segment).
  const std::vector<MultiXactId> ids = CreateMany(0, 3000);
  EXPECT_EQ(ids.front(), kFirstMultiXactId);
  for (size_t j = 1; j < ids.size(); ++j) ASSERT_EQ(ids[j].value(), ids[j - 1].value() + 1);
  EXPECT_EQ(ReadNextMultiXactId().value(), ids.back().value() + 1);
  ExpectMembers(ids, 0);
  EXPECT_TRUE(SlruSegmentExists(MultiXactMembersCtl(), 0));
  // Another process reads them too (shared SLRU buffers and files).
  const pid_t child = harness.ForkBackend([&] {
    for (size_t j = 0; j < ids.size(); j += 7) {
      if (GetMultiXactIdMembers(ids[j]) != MembersFor(j)) return 1;
    }
    return 0;
  });
  EXPECT_EQ(harness.Wait(child), 0);
  // An id never handed out is an error, as PostgreSQL's.
  try {
    (void)GetMultiXactIdMembers(ReadNextMultiXactId());
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("has not been created yet"), std::string::npos) << e.what();
  }
}

TEST(MultiXactTest, SurvivesCheckpointAndCrash) {
  ServerHarness harness;
  const std::vector<MultiXactId> before = CreateMany(0, 700);
  harness.Checkpoint();  // M6: flushed; the counters in the checkpoint record and control file
  const std::vector<MultiXactId> after = CreateMany(700, 900);  // only in WAL
  const uint64_t next_offset = ReadNextMultiXactOffset();
  harness.Crash();
  EXPECT_EQ(ReadNextMultiXactId().value(), after.back().value() + 1);  // M5: redo passed them
  EXPECT_EQ(ReadNextMultiXactOffset(), next_offset);
  ExpectMembers(before, 0);
  ExpectMembers(after, 700);
  // New multis continue after the recovered ones, on the recovered pages.
  const std::vector<MultiXactId> more = CreateMany(1600, 50);
  EXPECT_EQ(more.front().value(), after.back().value() + 1);
  // Crash right after a checkpoint: the counters come from the checkpoint record.
  harness.Checkpoint();
  harness.Crash();
  EXPECT_EQ(ReadNextMultiXactId().value(), more.back().value() + 1);
  ExpectMembers(before, 0);
  ExpectMembers(after, 700);
  ExpectMembers(more, 1600);
}

TEST(MultiXactTest, CreateDeduplicatesAndKeepsRunningLockersAndTheUpdate) {
  ServerHarness harness;
  StartTransaction();
  const TransactionId committed = GetCurrentTransactionId();
  CommitTransaction();
  StartTransaction();
  const TransactionId aborted = GetCurrentTransactionId();
  AbortTransaction();

  StartTransaction();
  const TransactionId me = GetCurrentTransactionId();
  DefineSavepoint("s");
  const TransactionId sub = GetCurrentTransactionId();
  using S = MultiXactStatus;
  // A finished locker goes; a committed update stays (it decides deletion); our locks merge.
  const std::vector<MultiXactMember> in = {{committed, S::kForShare},  {me, S::kForKeyShare},
                                           {me, S::kForShare},         {sub, S::kForUpdate},
                                           {committed, S::kForKeyShare}};
  const MultiXactId m1 = MultiXactIdCreate(in);
  const std::vector<MultiXactMember> want1 = {{me, S::kForShare}, {sub, S::kForUpdate}};
  EXPECT_EQ(GetMultiXactIdMembers(m1), want1);
  const MultiXactId m2 = MultiXactIdCreate(std::vector<MultiXactMember>{
      {committed, S::kNoKeyUpdate}, {me, S::kForKeyShare}, {aborted, S::kForShare}});
  const std::vector<MultiXactMember> want2 = {{committed, S::kNoKeyUpdate}, {me, S::kForKeyShare}};
  EXPECT_EQ(GetMultiXactIdMembers(m2), want2);
  EXPECT_EQ(MultiXactIdGetUpdateXid(m2), committed);
  EXPECT_EQ(MultiXactIdGetUpdateXid(m1), kInvalidTransactionId);
  // An aborted update goes; nothing left: no multi.
  EXPECT_EQ(MultiXactIdCreate(std::vector<MultiXactMember>{{aborted, S::kUpdate}}),
            kInvalidMultiXactId);
  // A lock and an update of one xid: one update as strong as the stronger.
  const MultiXactId m3 = MultiXactIdCreate(
      std::vector<MultiXactMember>{{me, S::kForUpdate}, {me, S::kNoKeyUpdate}});
  const std::vector<MultiXactMember> want3 = {{me, S::kUpdate}};
  EXPECT_EQ(GetMultiXactIdMembers(m3), want3);
  // Expand adds to the kept members.
  const MultiXactId m4 = MultiXactIdExpand(m2, sub, S::kForKeyShare);
  const std::vector<MultiXactMember> want4 = {
      {committed, S::kNoKeyUpdate}, {me, S::kForKeyShare}, {sub, S::kForKeyShare}};
  EXPECT_EQ(GetMultiXactIdMembers(m4), want4);
  EXPECT_TRUE(MultiXactIdIsRunning(m4));
  EXPECT_EQ(GetMultiXactIdMembers(m4, /*only_running=*/true).size(), 2u);
  // ROLLBACK TO: the subtransaction's members stop running, ours stay.
  RollbackToSavepoint("s");
  EXPECT_EQ(GetMultiXactIdMembers(m1, /*only_running=*/true).size(), 1u);
  CommitTransaction();
  EXPECT_FALSE(MultiXactIdIsRunning(m1));
  EXPECT_FALSE(MultiXactIdIsRunning(m4));
}

TEST(MultiXactTest, WaitWaitsOnlyForConflictingMembers) {
  ServerHarness harness;
  ValuePipe to_child, to_parent;
  const pid_t child = harness.ForkBackend([&] {
    StartTransaction();
    to_parent.Send(GetCurrentTransactionId().value());
    if (!to_child.Receive()) return 1;  // hold the transaction until told
    CommitTransaction();
    return 0;
  });
  const auto child_xid = to_parent.Receive();
  ASSERT_TRUE(child_xid);
  using S = MultiXactStatus;
  StartTransaction();
  const TransactionId me = GetCurrentTransactionId();
  const MultiXactId multi = MultiXactIdCreate(std::vector<MultiXactMember>{
      {TransactionId(*child_xid), S::kForShare}, {me, S::kForUpdate}});
  ASSERT_NE(multi, kInvalidMultiXactId);
  ASSERT_EQ(GetMultiXactIdMembers(multi).size(), 2u);
  bool current = false;
  EXPECT_FALSE(DoesMultiXactIdConflict(multi, S::kForShare, &current));
  EXPECT_TRUE(current);
  EXPECT_TRUE(DoesMultiXactIdConflict(multi, S::kForNoKeyUpdate, nullptr));
  EXPECT_TRUE(MultiXactIdWait(multi, S::kForKeyShare, /*nowait=*/true));  // no conflict
  EXPECT_FALSE(MultiXactIdWait(multi, S::kUpdate, /*nowait=*/true));     // the child's share
  to_child.Send(1);
  EXPECT_TRUE(MultiXactIdWait(multi, S::kUpdate, /*nowait=*/false));  // returns at its commit
  EXPECT_EQ(harness.Wait(child), 0);
  EXPECT_FALSE(DoesMultiXactIdConflict(multi, S::kUpdate, nullptr));
  EXPECT_TRUE(MultiXactIdIsRunning(multi));  // we are still a member
  CommitTransaction();
}

TEST(MultiXactTest, RecordDescription) {
  ServerHarness harness;
  const RmgrOps* ops = GetRmgr(RmgrId::kMultiXact);
  ASSERT_NE(ops, nullptr);
  EXPECT_STREQ(ops->name, "MultiXact");
  EXPECT_STREQ(ops->identify(kMultiXactCreateId), "CREATE_ID");
  DecodedRecord record;
  record.rmgr = RmgrId::kMultiXact;
  record.info = kMultiXactCreateId;
  WalMultiXactCreate rec{};
  rec.multi = 9;
  rec.first_offset = 30;
  rec.nmembers = 2;
  WalMultiXactMember members[2]{};
  members[0].xid = 40;
  members[0].status = static_cast<uint8_t>(MultiXactStatus::kForKeyShare);
  members[1].xid = 41;
  members[1].status = static_cast<uint8_t>(MultiXactStatus::kNoKeyUpdate);
  record.main_data.resize(sizeof rec + sizeof members);
  std::memcpy(record.main_data.data(), &rec, sizeof rec);
  std::memcpy(record.main_data.data() + sizeof rec, members, sizeof members);
  EXPECT_EQ(ops->describe(record), "9 offset 30 nmembers 2: 40 (keysh) 41 (nokeyupd)");
  // Redo writes the entries and moves the counters past them (M5). (One real multi first: its
  // creation zeroed the pages redo of entry 9 then reads, as in real WAL order.)
  (void)CreateMany(0, 1);
  ops->redo(record);
  EXPECT_GE(ReadNextMultiXactId().value(), 10u);
  EXPECT_GE(ReadNextMultiXactOffset(), 32u);
  const std::vector<MultiXactMember> want = {{TransactionId(40), MultiXactStatus::kForKeyShare},
                                             {TransactionId(41), MultiXactStatus::kNoKeyUpdate}};
  EXPECT_EQ(GetMultiXactIdMembers(MultiXactId(9)), want);
  record.main_data.resize(10);
  EXPECT_EQ(ops->describe(record), "(invalid multixact record)");
}

}  // namespace
}  // namespace keel::transam
