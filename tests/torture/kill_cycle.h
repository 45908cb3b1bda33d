// The torture tests' crash step: kill the server under test in one of four ways chosen at
// random, then (after the caller has stopped its clients) bring it back and wait until it
// serves again. See tests/README.md.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <random>
#include <vector>

#include "tests/e2e/test_cluster.h"
#include "tests/torture/line_client.h"

namespace keel::torture {

enum class KillMode : int {
  kEverything = 0,     // SIGKILL of the postmaster and every child
  kOneChild = 1,       // SIGKILL of one random child: the postmaster restarts everyone
  kImmediateStop = 2,  // SIGQUIT to the postmaster
  kPostmasterOnly = 3, // SIGKILL of the postmaster; children notice and leave
  kNone = 4,           // no kill (to tell crash bugs from others)
};

inline const char* KillModeName(KillMode mode) {
  switch (mode) {
    case KillMode::kEverything: return "SIGKILL of every server process";
    case KillMode::kOneChild: return "SIGKILL of one child";
    case KillMode::kImmediateStop: return "immediate shutdown";
    case KillMode::kPostmasterOnly: return "SIGKILL of the postmaster only";
    case KillMode::kNone: return "no kill";
  }
  return "?";
}

// What Kill did, for Recover.
struct KillResult {
  pid_t postmaster;
  std::vector<pid_t> children;
  bool postmaster_survives;
};

inline KillResult Kill(testing::TestCluster& cluster, KillMode mode, std::mt19937& rng) {
  KillResult r{cluster.postmaster_pid(), cluster.ChildPids(), false};
  switch (mode) {
    case KillMode::kEverything:
      kill(r.postmaster, SIGKILL);
      for (pid_t child : r.children) kill(child, SIGKILL);
      break;
    case KillMode::kOneChild:
      if (!r.children.empty()) {
        kill(r.children[rng() % r.children.size()], SIGKILL);
        r.postmaster_survives = true;
      } else {
        kill(r.postmaster, SIGKILL);
      }
      break;
    case KillMode::kImmediateStop:
      kill(r.postmaster, SIGQUIT);
      break;
    case KillMode::kPostmasterOnly:
      kill(r.postmaster, SIGKILL);
      break;
    case KillMode::kNone:
      r.postmaster_survives = true;
      break;
  }
  return r;
}

// After Kill (and after the clients stopped): the server serves again, restarted if the
// postmaster is gone (every old process gone first). False with a test failure otherwise.
inline bool Recover(testing::TestCluster& cluster, const KillResult& killed) {
  if (killed.postmaster_survives) return WaitUntilServing(cluster.port(), 60);
  if (!WaitGone(killed.postmaster, 30)) return false;
  cluster.Forget();
  for (pid_t child : killed.children) {
    if (!WaitGone(child, 30)) return false;
  }
  return cluster.Start(/*extra_args=*/{}, /*timeout_s=*/60) && WaitUntilServing(cluster.port(), 60);
}

}  // namespace keel::torture
