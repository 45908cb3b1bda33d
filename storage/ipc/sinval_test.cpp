// Multi-process tests of the shared invalidation queue (storage/ipc/README.md, Q1-Q9) over the
// real shared state of tests/server's harness: the test process and its forked children are
// backends with proc slots, attached as readers when they start.
#include "storage/ipc/sinval.h"

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <new>
#include <vector>

#include "storage/ipc/fork_test_util.h"
#include "storage/ipc/latch.h"
#include "storage/ipc/process_context.h"
#include "tests/server/server_harness.h"

namespace keel::storage {
namespace {

using testing::WaitUntil;

// Flags shared between the test process and its children (outside Keel's shared memory).
struct TestFlags {
  std::atomic<int> ready;
  std::atomic<int> go;
  std::atomic<int> done;
  std::atomic<int> stage;
};

TestFlags* MapFlags() {
  void* p = mmap(nullptr, sizeof(TestFlags), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                 -1, 0);
  if (p == MAP_FAILED) std::abort();
  return new (p) TestFlags{};
}

// A message carrying (sender, seq): db = sender + 1, hash = seq.
SharedInvalidationMessage Numbered(int sender, uint32_t seq) {
  return MakeCatalogRowInval(5, seq, Oid(static_cast<uint32_t>(sender + 1)));
}

struct Received {
  std::vector<SharedInvalidationMessage> msgs;
  int resets = 0;
};

int ReceiveInto(Received* out) {
  return ReceiveSharedInvalidMessages(
      [out](const SharedInvalidationMessage& msg) { out->msgs.push_back(msg); },
      [out] { ++out->resets; });
}

void SendNumbered(int sender, uint32_t first, uint32_t count) {
  std::vector<SharedInvalidationMessage> msgs;
  for (uint32_t i = 0; i < count; ++i) msgs.push_back(Numbered(sender, first + i));
  SendSharedInvalidMessages(msgs);
}

// Exit code 0 when `r` holds exactly seq first..first+count-1 of sender 0 and no reset.
int CheckExactly(const Received& r, uint32_t first, uint32_t count) {
  if (r.resets != 0) return 10;
  if (r.msgs.size() != count) {
    fprintf(stderr, "received %zu messages, expected %u\n", r.msgs.size(), count);
    return 11;
  }
  for (uint32_t i = 0; i < count; ++i) {
    if (!(r.msgs[i] == Numbered(0, first + i))) return 12;
  }
  return 0;
}

TEST(SInvalTest, MessageLayout) {
  const SharedInvalidationMessage row = MakeCatalogRowInval(7, 0xdeadbeef, Oid(5));
  EXPECT_TRUE(row.IsCatalogRow());
  EXPECT_EQ(row.id, 7);
  EXPECT_EQ(row.u.hash_value, 0xdeadbeefu);
  const RelFileLocator loc{Oid(1663), Oid(5), Oid(16384)};
  const SharedInvalidationMessage smgr = MakeSmgrInval(loc);
  EXPECT_FALSE(smgr.IsCatalogRow());
  EXPECT_EQ(smgr.kind(), SInvalKind::kSmgr);
  EXPECT_EQ(SmgrInvalLocator(smgr), loc);
  EXPECT_EQ(MakeRelcacheInval(Oid(5), Oid(1)).kind(), SInvalKind::kRelcache);
  EXPECT_EQ(MakeCatalogInval(Oid(1259), Oid(5)).kind(), SInvalKind::kCatalog);
  EXPECT_EQ(MakeSnapshotInval(Oid(5), Oid(1259)).kind(), SInvalKind::kSnapshot);
  EXPECT_TRUE(MakeRelcacheInval(Oid(5), Oid(1)) == MakeRelcacheInval(Oid(5), Oid(1)));
  EXPECT_FALSE(MakeRelcacheInval(Oid(5), Oid(1)) == MakeRelcacheInval(Oid(5), Oid(2)));
}

// Q2, Q7: two other backends see every message in send order; so does the sender itself.
TEST(SInvalTest, TwoReadersSeeSendsInOrderAndSenderSeesItsOwn) {
  keel::testing::ServerHarness harness;
  TestFlags* flags = MapFlags();
  ASSERT_TRUE(SInvalIsAttached());
  auto reader = [flags] {
    flags->ready.fetch_add(1);
    if (!WaitUntil([flags] { return flags->go.load() == 1; })) return 2;
    Received r;
    ReceiveInto(&r);
    return CheckExactly(r, 0, 300);
  };
  pid_t a = harness.ForkBackend(reader);
  pid_t b = harness.ForkBackend(reader);
  ASSERT_TRUE(WaitUntil([flags] { return flags->ready.load() == 2; }));
  SendNumbered(0, 0, 300);  // several write chunks
  flags->go.store(1);
  EXPECT_EQ(harness.Wait(a), 0);
  EXPECT_EQ(harness.Wait(b), 0);
  Received own;
  EXPECT_EQ(ReceiveInto(&own), 300);
  EXPECT_EQ(CheckExactly(own, 0, 300), 0);
  Received again;
  EXPECT_EQ(ReceiveInto(&again), 0);  // Q8: nothing new
  EXPECT_EQ(again.resets, 0);
}

// Q4: a new backend starts at the end of the queue.
TEST(SInvalTest, NewBackendDoesNotSeeOldMessages) {
  keel::testing::ServerHarness harness;
  SendNumbered(0, 0, 50);
  pid_t child = harness.ForkBackend([] {
    Received r;
    ReceiveInto(&r);
    if (!r.msgs.empty() || r.resets != 0) return 1;
    SendNumbered(0, 50, 1);
    ReceiveInto(&r);
    return CheckExactly(r, 50, 1);
  });
  EXPECT_EQ(harness.Wait(child), 0);
}

// Q3: a reader that falls behind by more than the buffer is reset exactly once, skips the lost
// messages and then receives new ones; on the way it was nudged (Q6).
TEST(SInvalTest, LaggingReaderGetsOneResetThenNewMessages) {
  keel::testing::ServerHarness harness;
  TestFlags* flags = MapFlags();
  pid_t child = harness.ForkBackend([flags] {
    flags->ready.store(1);
    if (!WaitUntil([flags] { return flags->go.load() == 1; })) return 2;
    if (!SInvalCatchupPending()) return 3;
    Received r;
    ReceiveInto(&r);
    if (r.resets != 1 || !r.msgs.empty()) return 4;
    if (SInvalCatchupPending()) return 5;
    flags->stage.store(1);
    if (!WaitUntil([flags] { return flags->go.load() == 2; })) return 6;
    Received after;
    ReceiveInto(&after);
    return CheckExactly(after, 100000, 5);
  });
  ASSERT_TRUE(WaitUntil([flags] { return flags->ready.load() == 1; }));
  const uint64_t resets_before = GetSInvalQueueStats().resets;
  SendNumbered(0, 0, kSInvalBufferSize + 100);
  // Both the child and this process (which reads nothing meanwhile) were too far behind.
  EXPECT_EQ(GetSInvalQueueStats().resets, resets_before + 2);
  flags->go.store(1);
  ASSERT_TRUE(WaitUntil([flags] { return flags->stage.load() == 1; }));
  SendNumbered(0, 100000, 5);
  flags->go.store(2);
  EXPECT_EQ(harness.Wait(child), 0);
  // This process was reset too: the reset covers everything sent before it is noticed.
  Received own;
  ReceiveInto(&own);
  EXPECT_EQ(own.resets, 1);
  EXPECT_TRUE(own.msgs.empty());
}

// Q6: a reader more than kSInvalNudgeLag behind gets its latch set and its catch-up flag; it
// then reads everything without a reset.
TEST(SInvalTest, FarBehindReaderIsNudgedAndCatchesUp) {
  keel::testing::ServerHarness harness;
  TestFlags* flags = MapFlags();
  constexpr uint32_t kCount = kSInvalNudgeLag + 600;
  pid_t child = harness.ForkBackend([flags] {
    flags->ready.store(1);
    const int64_t deadline = testing::NowMs() + 30'000;
    while (!SInvalCatchupPending()) {
      if (testing::NowMs() > deadline) return 2;
      ResetLatch(MyLatch());
      if (SInvalCatchupPending()) break;
      WaitLatch(MyLatch(), kWaitLatchSet, 1000);
    }
    // Everything the writer sent up to now is still in the buffer: read it all.
    if (!WaitUntil([flags] { return flags->done.load() == 1; })) return 3;
    Received r;
    ReceiveInto(&r);
    return CheckExactly(r, 0, kCount);
  });
  ASSERT_TRUE(WaitUntil([flags] { return flags->ready.load() == 1; }));
  for (uint32_t sent = 0; sent < kCount; sent += 100) {
    SendNumbered(0, sent, std::min<uint32_t>(100, kCount - sent));
    Received own;  // this process keeps up, so only the child lags
    ReceiveInto(&own);
    ASSERT_EQ(own.resets, 0);
  }
  flags->done.store(1);
  EXPECT_EQ(harness.Wait(child), 0);
}

// Q5: a reader that exits (its proc slot released, no explicit detach: the harness's children
// run no exit cleanups) or detaches explicitly no longer holds the queue back: writing twice
// the buffer resets nobody while the remaining reader keeps up.
TEST(SInvalTest, ExitedOrDetachedReaderDoesNotHoldQueueBack) {
  keel::testing::ServerHarness harness;
  const int readers_before = GetSInvalQueueStats().attached_readers;
  EXPECT_EQ(readers_before, 1);  // this process
  pid_t exits = harness.ForkBackend([] { return SInvalIsAttached() ? 0 : 1; });
  EXPECT_EQ(harness.Wait(exits), 0);
  TestFlags* flags = MapFlags();
  pid_t detaches = harness.ForkBackend([flags] {
    SInvalDetach();
    if (SInvalIsAttached()) return 1;
    flags->ready.store(1);
    // Stays alive (holding its proc slot) until the writer is done.
    return WaitUntil([flags] { return flags->done.load() == 1; }) ? 0 : 2;
  });
  ASSERT_TRUE(WaitUntil([flags] { return flags->ready.load() == 1; }));
  EXPECT_EQ(GetSInvalQueueStats().attached_readers, 1);
  const uint64_t resets_before = GetSInvalQueueStats().resets;
  for (uint32_t sent = 0; sent < 2 * kSInvalBufferSize; sent += 500) {
    SendNumbered(0, sent, 500);
    Received own;
    ReceiveInto(&own);
    ASSERT_EQ(own.resets, 0);
    ASSERT_EQ(own.msgs.size(), 500u);
  }
  const SInvalQueueStats stats = GetSInvalQueueStats();
  EXPECT_EQ(stats.resets, resets_before);
  EXPECT_GE(stats.max_msg_num, 2 * kSInvalBufferSize);
  EXPECT_GE(stats.min_msg_num + kSInvalBufferSize, stats.max_msg_num);
  flags->done.store(1);
  EXPECT_EQ(harness.Wait(detaches), 0);
}

// Several forked senders and receivers at once: every receiver sees each sender's messages in
// order, each exactly once unless it was reset, in which case it never sees one twice or out of
// order.
TEST(SInvalTest, ConcurrentSendersAndReceivers) {
  keel::testing::ServerHarness harness;
  TestFlags* flags = MapFlags();
  constexpr int kSenders = 3;
  constexpr int kReceivers = 3;
  constexpr uint32_t kPerSender = 4000;
  std::vector<pid_t> receivers;
  for (int r = 0; r < kReceivers; ++r) {
    receivers.push_back(harness.ForkBackend([flags] {
      int64_t next[kSenders] = {0, 0, 0};
      int resets = 0;
      bool bad = false;
      auto apply = [&](const SharedInvalidationMessage& msg) {
        const int sender = static_cast<int>(msg.db_oid) - 1;
        if (sender < 0 || sender >= kSenders) {
          bad = true;
          return;
        }
        const int64_t seq = msg.u.hash_value;
        // Without a reset so far: exactly the next one. After one: never backwards or twice.
        if (resets == 0 ? seq != next[sender] : seq < next[sender]) bad = true;
        next[sender] = seq + 1;
      };
      flags->ready.fetch_add(1);
      for (;;) {
        const bool finished = flags->done.load() == kSenders;
        ReceiveSharedInvalidMessages(apply, [&] { ++resets; });
        if (bad) return 1;
        if (finished) break;
      }
      if (resets == 0) {
        for (int64_t n : next) {
          if (n != kPerSender) return 2;
        }
      }
      return 0;
    }));
  }
  ASSERT_TRUE(WaitUntil([flags] { return flags->ready.load() == kReceivers; }));
  std::vector<pid_t> senders;
  for (int s = 0; s < kSenders; ++s) {
    senders.push_back(harness.ForkBackend([flags, s] {
      for (uint32_t seq = 0; seq < kPerSender; seq += 10) SendNumbered(s, seq, 10);
      flags->done.fetch_add(1);
      return 0;
    }));
  }
  for (pid_t pid : senders) EXPECT_EQ(harness.Wait(pid), 0);
  for (pid_t pid : receivers) EXPECT_EQ(harness.Wait(pid), 0);
  EXPECT_EQ(GetSInvalQueueStats().max_msg_num, uint64_t{kSenders} * kPerSender);
}

// Q3/Q8: while a writer resets a lagging reader, the reader's lock-free fast path must never
// answer "nothing new": it either still sees its old position below max_msg_num or sees the
// reset flag. (Review: Cleanup used to move the reader's next_msg to the end before setting
// reset and before raising max_msg_num, so the fast path could see old reset, old max and the
// new next_msg, and a reset was lost.)
TEST(SInvalTest, FastPathNeverMissesAResetInProgress) {
  keel::testing::ServerHarness harness;
  struct RaceFlags {
    std::atomic<int> ready;
    std::atomic<int> done;
    std::atomic<long> windows;
    std::atomic<long> misses;
  };
  void* p = mmap(nullptr, sizeof(RaceFlags), PROT_READ | PROT_WRITE,
                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(p, MAP_FAILED);
  auto* flags = new (p) RaceFlags{};
  pid_t reader = harness.ForkBackend([flags] {
    flags->ready.store(1);
    while (flags->done.load() == 0) {
      ReceiveSharedInvalidMessages([](const SharedInvalidationMessage&) {}, [] {});
      const uint64_t seen = GetSInvalQueueStats().max_msg_num;  // >= our position
      // Wait until we are behind (max > seen >= our next_msg).
      while (GetSInvalQueueStats().max_msg_num <= seen) {
        if (flags->done.load() != 0) return 0;
      }
      // From now until we read, the fast path must say "maybe new" whatever writers do; spin
      // through the moment a writer resets us (the buffer wraps past our position).
      bool miss = false;
      while (!miss) {
        for (int i = 0; i < 2000 && !miss; ++i) miss = !sinval_internal::MaybeHasNew();
        if (GetSInvalQueueStats().max_msg_num > seen + kSInvalBufferSize + 256) break;
        if (flags->done.load() != 0) break;
      }
      flags->windows.fetch_add(1);
      if (miss) flags->misses.fetch_add(1);
    }
    return 0;
  });
  ASSERT_TRUE(WaitUntil([flags] { return flags->ready.load() == 1; }));
  std::vector<SharedInvalidationMessage> chunk(kSInvalWriteChunk, Numbered(0, 1));
  const int64_t end = testing::NowMs() + 6000;
  while (testing::NowMs() < end && flags->misses.load() == 0 && flags->windows.load() < 300) {
    SendSharedInvalidMessages(chunk);
    Received own;  // this process keeps up (it is a reader too)
    ReceiveInto(&own);
  }
  flags->done.store(1);
  EXPECT_EQ(harness.Wait(reader), 0);
  EXPECT_GT(flags->windows.load(), 0);
  EXPECT_EQ(flags->misses.load(), 0) << "of " << flags->windows.load() << " reset windows";
}

// Q6: every lagging reader is nudged, however many there are (review: only the first 8 got
// their latch set; the others got the catch-up flag, so they were never nudged again).
TEST(SInvalTest, EveryLaggingReaderIsNudged) {
  keel::testing::ServerHarness harness;
  struct NudgeFlags {
    std::atomic<int> ready;
    std::atomic<int> woken;
    std::atomic<int> flagged;
  };
  void* p = mmap(nullptr, sizeof(NudgeFlags), PROT_READ | PROT_WRITE,
                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(p, MAP_FAILED);
  auto* flags = new (p) NudgeFlags{};
  constexpr int kReaders = 12;
  std::vector<pid_t> kids;
  for (int i = 0; i < kReaders; ++i) {
    kids.push_back(harness.ForkBackend([flags] {
      ResetLatch(MyLatch());
      flags->ready.fetch_add(1);
      // Idle: no receive until the latch is set (or a generous timeout).
      if (WaitLatch(MyLatch(), kWaitLatchSet, 20'000) & kWaitLatchSet) flags->woken.fetch_add(1);
      if (SInvalCatchupPending()) flags->flagged.fetch_add(1);
      return 0;
    }));
  }
  ASSERT_TRUE(WaitUntil([flags] { return flags->ready.load() == kReaders; }));
  std::vector<SharedInvalidationMessage> msgs(kSInvalNudgeLag + 400, Numbered(0, 1));
  SendSharedInvalidMessages(msgs);
  for (pid_t pid : kids) EXPECT_EQ(harness.Wait(pid), 0);
  EXPECT_EQ(flags->woken.load(), kReaders);
  EXPECT_EQ(flags->flagged.load(), kReaders);
}

// Q9: after a crash the queue is empty and every reader starts afresh.
TEST(SInvalTest, CrashRebuildsEmptyQueue) {
  keel::testing::ServerHarness harness;
  SendNumbered(0, 0, 10);
  harness.Crash();
  EXPECT_TRUE(SInvalIsAttached());
  const SInvalQueueStats stats = GetSInvalQueueStats();
  EXPECT_EQ(stats.max_msg_num, 0u);
  Received r;
  EXPECT_EQ(ReceiveInto(&r), 0);
  EXPECT_EQ(r.resets, 0);
}

}  // namespace
}  // namespace keel::storage
