// Changing the catalogs of a stopped test cluster: a standalone server (postmaster/standalone.h)
// runs one transaction in the test process, as PostgreSQL's single-user mode would. For tests
// that link keel_postmaster (and keel_commands for the role DDL). See tests/README.md.
#pragma once

#include <functional>

#include "access/transam/xact.h"
#include "postmaster/standalone.h"
#include "tests/e2e/test_cluster.h"

namespace keel::testing {

// Runs `fn` in one committed transaction of a standalone server on `cluster`'s data directory,
// as the bootstrap superuser, then shuts that server down (shutdown checkpoint).
// Requires: `cluster` is not running. Errors propagate (the transaction is then rolled back).
inline void EditStoppedCluster(const TestCluster& cluster, const std::function<void()>& fn) {
  postmaster::StandaloneServer server(cluster.data_dir());
  transam::StartTransaction();
  fn();
  transam::CommitTransaction();
  server.Shutdown();
}

}  // namespace keel::testing
