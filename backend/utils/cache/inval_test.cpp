// Multi-process tests of transactional invalidation (backend/utils/cache/README.md, V1-V8)
// over the real shared state of tests/server's harness.
#include "backend/utils/cache/inval.h"

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <new>
#include <string>
#include <vector>

#include "access/transam/twophase.h"
#include "access/transam/xact.h"
#include "backend/utils/error/error.h"
#include "storage/ipc/fork_test_util.h"
#include "storage/ipc/sinval.h"
#include "storage/lmgr/lock.h"
#include "tests/server/server_harness.h"

namespace keel::cache {
namespace {

using storage::testing::WaitUntil;
constexpr Oid kDb{testing::kTestDb};

struct TestFlags {
  std::atomic<int> ready;
  std::atomic<int> go;
  std::atomic<int> stage;
};

TestFlags* MapFlags() {
  void* p = mmap(nullptr, sizeof(TestFlags), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                 -1, 0);
  if (p == MAP_FAILED) std::abort();
  return new (p) TestFlags{};
}

// What this process's callbacks saw, as short strings: "rel:42", "row:3:2748", "reset" ...
std::vector<std::string>& Seen() {
  static std::vector<std::string> seen;
  return seen;
}

// A relcache message for this relation makes the recorder throw a non-std exception while
// ThrowArmed() (V6).
constexpr Oid kThrowingRel{7777};
bool& ThrowArmed() {
  static bool armed = false;
  return armed;
}

// Callbacks are process-local and cannot be unregistered: register once (children inherit
// them); each test clears Seen().
void RegisterRecorders() {
  static bool done = false;
  if (done) return;
  done = true;
  CacheRegisterRelcacheCallback([](Oid rel) {
    if (rel == kThrowingRel && ThrowArmed()) throw 42;  // not a std::exception
    Seen().push_back(rel == kInvalidOid ? "rel:all" : "rel:" + std::to_string(rel.value()));
  });
  CacheRegisterCatalogRowCallback(3, [](uint32_t hash, bool all) {
    Seen().push_back(all ? "row:3:all" : "row:3:" + std::to_string(hash));
  });
  CacheRegisterCatalogCallback(
      [](Oid catalog) { Seen().push_back("cat:" + std::to_string(catalog.value())); });
  CacheRegisterSmgrCallback([](const RelFileLocator& loc) {
    Seen().push_back("smgr:" + std::to_string(loc.rel.value()));
  });
  CacheRegisterResetCallback([] { Seen().push_back("reset"); });
}

class InvalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RegisterRecorders();
    SetInvalidationDatabase(kDb);
    Seen().clear();
  }
};

bool SeenExactly(const std::vector<std::string>& expected) { return Seen() == expected; }

// A child that waits for go == 1, accepts invalidations and exits 0 iff it saw `expected`.
std::function<int()> Receiver(TestFlags* flags, std::vector<std::string> expected) {
  return [flags, expected] {
    Seen().clear();
    flags->ready.fetch_add(1);
    if (!WaitUntil([flags] { return flags->go.load() == 1; })) return 2;
    AcceptInvalidationMessages();
    if (!SeenExactly(expected)) {
      for (const std::string& s : Seen()) fprintf(stderr, "seen: %s\n", s.c_str());
      return 1;
    }
    return 0;
  };
}

// V3: a committed transaction's messages reach another backend at its next
// AcceptInvalidationMessages; V7: another database's are skipped there.
TEST_F(InvalTest, CommittedMessagesReachOtherBackend) {
  testing::ServerHarness harness;
  TestFlags* flags = MapFlags();
  pid_t child = harness.ForkBackend(Receiver(
      flags, {"rel:42", "row:3:2748", "cat:1259", "smgr:16400", "rel:all"}));
  ASSERT_TRUE(WaitUntil([flags] { return flags->ready.load() == 1; }));
  transam::StartTransaction();
  CacheInvalidateRelcache(kDb, Oid(42));
  CacheInvalidateRelcache(kDb, Oid(42));           // kept once (V1)
  CacheInvalidateRelcache(Oid(777), Oid(43));      // another database
  CacheInvalidateCatalogRow(3, 2748, kDb);
  CacheInvalidateCatalogRow(4, 1, kDb);            // a cache nobody registered for
  CacheInvalidateCatalog(Oid(1259), kDb);
  CacheInvalidateSmgr(RelFileLocator{Oid(1663), Oid(777), Oid(16400)});  // files: any database
  CacheInvalidateRelcacheAll();
  EXPECT_EQ(PendingInvalidationCount(), 7);
  EXPECT_TRUE(Seen().empty());
  transam::CommitTransaction();
  EXPECT_EQ(PendingInvalidationCount(), 0);
  flags->go.store(1);
  EXPECT_EQ(harness.Wait(child), 0);
}

// V3: an aborted transaction sends nothing but undoes its effects locally.
TEST_F(InvalTest, AbortedTransactionSendsNothingAndAppliesLocally) {
  testing::ServerHarness harness;
  TestFlags* flags = MapFlags();
  pid_t child = harness.ForkBackend(Receiver(flags, {"rel:99"}));
  ASSERT_TRUE(WaitUntil([flags] { return flags->ready.load() == 1; }));
  transam::StartTransaction();
  CacheInvalidateRelcache(kDb, Oid(41));
  transam::CommandCounterIncrement();
  CacheInvalidateRelcache(kDb, Oid(42));
  EXPECT_TRUE(SeenExactly({"rel:41"}));
  transam::AbortTransaction();
  EXPECT_TRUE(SeenExactly({"rel:41", "rel:41", "rel:42"}));
  transam::StartTransaction();
  CacheInvalidateRelcache(kDb, Oid(99));  // a marker: the child sees only this
  transam::CommitTransaction();
  flags->go.store(1);
  EXPECT_EQ(harness.Wait(child), 0);
}

// V2: CommandCounterIncrement applies the finished command's messages locally; commit applies
// the rest; V4: the sender later receives its own messages from the queue too.
TEST_F(InvalTest, CommandCounterIncrementAppliesLocally) {
  testing::ServerHarness harness;
  transam::StartTransaction();
  CacheInvalidateRelcache(kDb, Oid(7));
  EXPECT_TRUE(Seen().empty());
  transam::CommandCounterIncrement();
  EXPECT_TRUE(SeenExactly({"rel:7"}));
  transam::CommandCounterIncrement();  // nothing new: nothing applied again
  EXPECT_TRUE(SeenExactly({"rel:7"}));
  CacheInvalidateRelcache(kDb, Oid(8));
  transam::CommitTransaction();
  EXPECT_TRUE(SeenExactly({"rel:7", "rel:8"}));
  Seen().clear();
  EXPECT_EQ(AcceptInvalidationMessages(), 2);
  EXPECT_TRUE(SeenExactly({"rel:7", "rel:8"}));
  EXPECT_EQ(AcceptInvalidationMessages(), 0);
}

// V3: a released savepoint's messages go out with the top level; a rolled-back one's are
// applied locally and discarded.
TEST_F(InvalTest, SubtransactionCommitAndAbort) {
  testing::ServerHarness harness;
  TestFlags* flags = MapFlags();
  pid_t child = harness.ForkBackend(Receiver(flags, {"rel:10", "rel:11", "rel:13"}));
  ASSERT_TRUE(WaitUntil([flags] { return flags->ready.load() == 1; }));
  transam::StartTransaction();
  CacheInvalidateRelcache(kDb, Oid(10));
  transam::DefineSavepoint("a");
  CacheInvalidateRelcache(kDb, Oid(11));
  transam::ReleaseSavepoint("a");
  transam::CommandCounterIncrement();
  EXPECT_TRUE(SeenExactly({"rel:10", "rel:11"}));
  Seen().clear();
  transam::DefineSavepoint("b");
  CacheInvalidateRelcache(kDb, Oid(20));
  transam::CommandCounterIncrement();
  transam::DefineSavepoint("c");
  CacheInvalidateRelcache(kDb, Oid(21));
  EXPECT_TRUE(SeenExactly({"rel:20"}));
  Seen().clear();
  transam::RollbackToSavepoint("b");  // undoes c and b: 21 (never applied), 20 (applied)
  std::vector<std::string> undone = Seen();
  std::sort(undone.begin(), undone.end());
  EXPECT_EQ(undone, (std::vector<std::string>{"rel:20", "rel:21"}));
  CacheInvalidateRelcache(kDb, Oid(13));  // in the restarted "b"
  EXPECT_EQ(PendingInvalidationCount(), 3);
  transam::CommitTransaction();
  flags->go.store(1);
  EXPECT_EQ(harness.Wait(child), 0);
}

// V10: PREPARE TRANSACTION is refused (0A000) while invalidations are pending, before
// anything is written; the transaction stays as it was, to be rolled back. Without pending
// invalidations PREPARE works.
TEST_F(InvalTest, PrepareRefusedWhenCatalogsWereModified) {
  testing::HarnessOptions options;
  options.max_prepared_transactions = 2;
  testing::ServerHarness harness(options);
  transam::StartTransaction();
  CacheInvalidateRelcache(kDb, Oid(600));
  transam::CommandCounterIncrement();  // applied locally, still pending for the commit
  try {
    static_cast<void>(transam::PrepareTransaction("ddl"));
    FAIL() << "PREPARE of a transaction with pending invalidations succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.sqlstate(), sqlstate::kFeatureNotSupported);
    EXPECT_EQ(e.message(), "cannot PREPARE a transaction that has modified the system catalogs");
  }
  EXPECT_TRUE(transam::IsTransactionActive());
  EXPECT_EQ(PendingInvalidationCount(), 1);
  Seen().clear();
  transam::AbortTransaction();
  EXPECT_TRUE(SeenExactly({"rel:600"}));  // undone locally (V3)
  // Nothing was prepared: the gid is free, and a transaction without catalog changes prepares.
  transam::StartTransaction();
  EXPECT_TRUE(transam::PrepareTransaction("ddl"));
  transam::FinishPreparedTransaction("ddl", true);
}

// V6: a callback that throws something that is not a std::exception while the committed
// transaction's messages are applied at commit does not escape CommitTransaction; this
// backend resets its caches at its next AcceptInvalidationMessages instead.
TEST_F(InvalTest, NonStdExceptionFromCallbackAtCommitDoesNotEscape) {
  testing::ServerHarness harness;
  transam::StartTransaction();
  CacheInvalidateRelcache(kDb, kThrowingRel);
  ThrowArmed() = true;
  EXPECT_NO_THROW(transam::CommitTransaction());
  ThrowArmed() = false;
  EXPECT_FALSE(transam::IsTransactionActive());
  Seen().clear();
  AcceptInvalidationMessages();
  EXPECT_TRUE(SeenExactly({"reset", "row:3:all", "rel:all"}));
}

#ifdef KEEL_DEBUG
TestFlags* hold_flags = nullptr;  // for the captureless after-lock-release hook
#endif

// V3, V8: the messages are queued before the committer's locks are released, so a backend that
// waited for one of its locks (LockRelationOid) has them applied once it holds the lock.
TEST_F(InvalTest, WaiterForLockSeesMessagesWhenItGetsTheLock) {
  testing::ServerHarness harness;
  TestFlags* flags = MapFlags();
  transam::StartTransaction();
  ASSERT_EQ(LockRelationOid(kDb, Oid(500), storage::LockMode::kAccessExclusive),
            storage::LockResult::kAcquired);
  CacheInvalidateRelcache(kDb, Oid(500));
  pid_t child = harness.ForkBackend([flags] {
    Seen().clear();
    transam::StartTransaction();
    flags->ready.store(1);
    if (LockRelationOid(kDb, Oid(500), storage::LockMode::kAccessShare) !=
        storage::LockResult::kAcquired) {
      return 2;
    }
    const bool ok = std::find(Seen().begin(), Seen().end(), "rel:500") != Seen().end();
    flags->stage.store(1);  // lets the committer go on (its after-lock-release hook)
    transam::CommitTransaction();
    return ok ? 0 : 1;
  });
  ASSERT_TRUE(WaitUntil([flags] { return flags->ready.load() == 1; }));
  ASSERT_TRUE(WaitUntil([] {
    return storage::LockNumWaiters(storage::RelationLockTag(kDb.value(), 500)) == 1;
  }));
#ifdef KEEL_DEBUG
  // Hold the committer right after its locks are released until the waiter has taken the
  // lock and looked: were the messages sent after LockReleaseAll, the waiter would look first.
  hold_flags = flags;
  transam::TestOnlySetAfterLockReleaseHook(
      [] { static_cast<void>(WaitUntil([] { return hold_flags->stage.load() == 1; })); });
#endif
  transam::CommitTransaction();
#ifdef KEEL_DEBUG
  transam::TestOnlySetAfterLockReleaseHook(nullptr);
  EXPECT_EQ(flags->stage.load(), 1);
#endif
  EXPECT_EQ(harness.Wait(child), 0);
}

// V5: a backend whose reader was reset runs the reset callbacks once, then "all" on the row
// and relcache callbacks, and afterwards receives new messages normally.
TEST_F(InvalTest, QueueResetResetsEverything) {
  testing::ServerHarness harness;
  TestFlags* flags = MapFlags();
  pid_t child = harness.ForkBackend([flags] {
    Seen().clear();
    flags->ready.store(1);
    if (!WaitUntil([flags] { return flags->go.load() == 1; })) return 2;
    AcceptInvalidationMessages();
    if (!SeenExactly({"reset", "row:3:all", "rel:all"})) return 1;
    Seen().clear();
    flags->stage.store(1);
    if (!WaitUntil([flags] { return flags->go.load() == 2; })) return 3;
    AcceptInvalidationMessages();
    return SeenExactly({"rel:5"}) ? 0 : 4;
  });
  ASSERT_TRUE(WaitUntil([flags] { return flags->ready.load() == 1; }));
  std::vector<storage::SharedInvalidationMessage> many(
      storage::kSInvalBufferSize + 1, storage::MakeCatalogRowInval(9, 1, kDb));
  storage::SendSharedInvalidMessages(many);
  flags->go.store(1);
  ASSERT_TRUE(WaitUntil([flags] { return flags->stage.load() == 1; }));
  transam::StartTransaction();
  CacheInvalidateRelcache(kDb, Oid(5));
  transam::CommitTransaction();
  flags->go.store(2);
  EXPECT_EQ(harness.Wait(child), 0);
}

// V9: a child forked while this process has pending messages neither sends nor undoes them.
TEST_F(InvalTest, ForkedChildDoesNotInheritPendingMessages) {
  keel::testing::ServerHarness harness;
  transam::StartTransaction();
  CacheInvalidateRelcache(kDb, Oid(600));
  pid_t child = harness.ForkBackend([] {
    Seen().clear();
    if (PendingInvalidationCount() != 0) return 1;
    transam::StartTransaction();
    CacheInvalidateRelcache(kDb, Oid(601));
    if (PendingInvalidationCount() != 1) return 2;
    transam::CommitTransaction();
    return SeenExactly({"rel:601"}) ? 0 : 3;
  });
  EXPECT_EQ(harness.Wait(child), 0);
  EXPECT_EQ(PendingInvalidationCount(), 1);
  transam::AbortTransaction();
  Seen().clear();
  EXPECT_EQ(AcceptInvalidationMessages(), 1);
  EXPECT_TRUE(SeenExactly({"rel:601"}));
}

TEST_F(InvalTest, RegisteringOutsideTransactionIsAnError) {
  testing::ServerHarness harness;
  EXPECT_THROW(CacheInvalidateRelcache(kDb, Oid(1)), keel::Error);
}

}  // namespace
}  // namespace keel::cache
