// Deadlock detection over the heavyweight lock table: a depth-first search of the waits-for
// graph from the process that has waited deadlock_timeout. See storage/lmgr/README.md
// ("Deadlock detection").
#include <string>
#include <vector>

#include "backend/utils/error/format.h"
#include "storage/ipc/proc_array.h"
#include "storage/lmgr/lock_internal.h"

namespace keel::storage::lockint {
namespace {

struct Edge {
  int32_t waiter;
  int32_t blocker;
};

class Detector {
 public:
  explicit Detector(int32_t me) : me_(me), visited_(Table().header->num_procs, 0) {}

  // DFS from `me_`; true when an edge leads back to it. path_ then holds the cycle's edges.
  bool Search(int32_t proc) {
    visited_[proc] = 1;
    bool found = false;
    ForEachBlocker(proc, [&](int32_t blocker) {
      if (found) return;
      path_.push_back(Edge{proc, blocker});
      if (blocker == me_) {
        found = true;
        return;
      }
      if (!visited_[blocker] && IsWaiting(blocker) && Search(blocker)) {
        found = true;
        return;
      }
      path_.pop_back();
    });
    return found;
  }

  [[nodiscard]] const std::vector<Edge>& path() const { return path_; }

 private:
  static bool IsWaiting(int32_t proc) {
    const LockProcState& ps = Table().procs[proc];
    return ps.wait_status.load(std::memory_order_acquire) == kWaiting && ps.wait_lock != kNone;
  }

  // Calls `fn(blocker)` for every process `proc` waits for (DL1): holders of a mode that
  // conflicts with its request ("hard" edges) and waiters queued ahead of it with a
  // conflicting request ("soft" edges; PostgreSQL would try to reorder the queue, we don't).
  template <typename Fn>
  static void ForEachBlocker(int32_t proc, Fn&& fn) {
    const LockTable& t = Table();
    const LockProcState& ps = t.procs[proc];
    if (ps.wait_status.load(std::memory_order_acquire) != kWaiting || ps.wait_lock == kNone) return;
    const LockObject& lock = t.locks[ps.wait_lock];
    const uint32_t conflicts = ConflictMask(ps.wait_mode);
    for (int32_t pl = lock.proclock_head; pl != kNone; pl = t.proclocks[pl].next) {
      const ProcLock& entry = t.proclocks[pl];
      if (entry.proc_idx != proc && (entry.held_mask & conflicts) != 0) fn(entry.proc_idx);
    }
    for (int32_t w = lock.wait_head; w != kNone && w != proc; w = t.procs[w].wait_next) {
      if ((ModeBit(t.procs[w].wait_mode) & conflicts) != 0) fn(w);
    }
  }

  int32_t me_;
  std::vector<uint8_t> visited_;
  std::vector<Edge> path_;
};

}  // namespace

bool FindDeadlock(int32_t me, std::string* detail) {
  Detector detector(me);
  if (!detector.Search(me)) return false;
  const LockTable& t = Table();
  detail->clear();
  for (const Edge& edge : detector.path()) {
    const LockProcState& ps = t.procs[edge.waiter];
    if (!detail->empty()) detail->push_back('\n');
    *detail += Format("Process %d waits for %s on %s; blocked by process %d.",
                      static_cast<int>(ProcArraySlot(edge.waiter)->pid.load()),
                      LockModeName(ps.wait_mode),
                      DescribeLockTag(t.locks[ps.wait_lock].tag).c_str(),
                      static_cast<int>(ProcArraySlot(edge.blocker)->pid.load()));
  }
  return true;
}

}  // namespace keel::storage::lockint
