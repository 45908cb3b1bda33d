// Checkpoints run in place (K10) by a process that is not the sync checkpointer (K11, storage/sync
// SY8): refused while another process holds the pending fsync requests, done with the sync
// steps carried out here when no checkpointer is left. README.md ("Checkpoints").
#include "access/transam/checkpoint.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "access/transam/control_file.h"
#include "access/transam/pending_deletes.h"
#include "access/transam/storage_test_util.h"
#include "access/transam/xact.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/sqlstate.h"
#include "storage/sync/sync.h"
#include "tests/server/server_harness.h"

namespace keel::transam {
namespace {

using keel::testing::ServerHarness;
using testing::AppendPage;
using testing::TestLocator;

bool SendByte(int fd) {
  const char c = 1;
  return write(fd, &c, 1) == 1;
}
bool RecvByte(int fd) {
  char c = 0;
  return read(fd, &c, 1) == 1;
}

void WriteSomething(uint32_t rel, uint64_t payload) {
  StartTransaction();
  RelationCreateStorage(TestLocator(rel), RelPersistence::kPermanent);
  AppendPage(TestLocator(rel), payload);
  CommitTransaction();
  storage::FlushRelationBuffers(TestLocator(rel));  // a write, hence a sync request
}

TEST(CheckpointTest, InPlaceCheckpointOutsideTheCheckpointerIsRefused) {
  ServerHarness harness;
  int to_child[2], from_child[2];
  ASSERT_EQ(pipe(to_child), 0);
  ASSERT_EQ(pipe(from_child), 0);
  // The child becomes the sync checkpointer (every harness backend registers itself) and
  // absorbs nothing while it waits.
  const pid_t checkpointer = harness.ForkBackend([&] {
    if (!SendByte(from_child[1]) || !RecvByte(to_child[0])) return 2;
    return 0;
  });
  ASSERT_TRUE(RecvByte(from_child[0]));
  storage::SetSyncRequestsLocal(false);  // this process: a plain backend from now on
  WriteSomething(20201, 1);
  EXPECT_GT(storage::SyncQueueLength(), 0) << "the write's fsync went to the checkpointer";
  EXPECT_FALSE(storage::SyncRequestsAreLocal());
  const uint64_t before = ReadControlFile(harness.dir()).checkpoint_lsn;
  try {
    harness.Checkpoint();
    ADD_FAILURE() << "a checkpoint ran without carrying out the checkpointer's fsyncs";
  } catch (const Error& e) {
    EXPECT_EQ(e.sqlstate(), sqlstate::kObjectNotInPrerequisiteState);
    EXPECT_EQ(e.message(), "cannot run a checkpoint in this process");
  }
  EXPECT_EQ(ReadControlFile(harness.dir()).checkpoint_lsn, before) << "K11: nothing moved";

  // The checkpointer is gone: the requests it left are this process's to carry out (SY8).
  ASSERT_TRUE(SendByte(to_child[1]));
  ASSERT_EQ(harness.Wait(checkpointer), 0);
  EXPECT_TRUE(storage::SyncRequestsAreLocal());
  harness.Checkpoint();
  EXPECT_EQ(storage::SyncQueueLength(), 0) << "the queued fsyncs were done by the checkpoint";
  EXPECT_NE(ReadControlFile(harness.dir()).checkpoint_lsn, before);
  storage::SetSyncRequestsLocal(true);  // the harness process is its own checkpointer again
  for (int fd : {to_child[0], to_child[1], from_child[0], from_child[1]}) close(fd);
}

}  // namespace
}  // namespace keel::transam
