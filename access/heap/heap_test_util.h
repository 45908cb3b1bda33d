// Test helpers for the heap tests: hand-formed tuples (natts = 1, the payload as the column
// data), and a command channel to a forked backend so a test can script an interleaving step by
// step. Test-only; see README.md ("Tests").
#pragma once

#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "access/heap/heap_tuple.h"
#include "access/heap/heapam.h"
#include "access/heap/hio.h"
#include "access/transam/xact.h"
#include "tests/server/server_harness.h"

namespace keel::access::testing {

inline HeapTuple MakeTuple(std::string_view payload) {
  const size_t hoff = HeapTupleHeaderLength(1, false);
  HeapTuple t(hoff + payload.size());
  std::memset(t.data(), 0, hoff);
  t.header()->infomask2 = 1;
  t.header()->hoff = static_cast<uint8_t>(hoff);
  std::memcpy(t.data() + hoff, payload.data(), payload.size());
  return t;
}

inline std::string Payload(const HeapTupleHeader* h, uint32_t size) {
  const auto* p = reinterpret_cast<const char*>(h);
  return std::string(p + h->hoff, size - h->hoff);
}
inline std::string Payload(const HeapTuple& t) { return Payload(t.header(), t.size()); }
inline std::string Payload(const HeapTupleView& v) { return Payload(v.header, v.size); }

// A pair of pipes to a forked backend: the parent sends commands, the child answers. Create it
// before ForkBackend; each side uses its own end. Messages are uint64 words.
class Channel {
 public:
  Channel() {
    if (pipe(to_child_) != 0 || pipe(to_parent_) != 0) abort();
  }
  ~Channel() {
    for (int fd : {to_child_[0], to_child_[1], to_parent_[0], to_parent_[1]}) close(fd);
  }
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  void SendToChild(uint64_t v) { Write(to_child_[1], v); }
  void SendToParent(uint64_t v) { Write(to_parent_[1], v); }
  // nullopt after `timeout_ms` without a message (or EOF).
  std::optional<uint64_t> RecvInChild(int timeout_ms = 30000) { return Read(to_child_[0], timeout_ms); }
  std::optional<uint64_t> RecvInParent(int timeout_ms = 30000) { return Read(to_parent_[0], timeout_ms); }
  // Whether the child has answered something yet (without consuming it: used to check that a
  // child is still blocked).
  bool ParentHasMessage(int wait_ms) {
    pollfd p{to_parent_[0], POLLIN, 0};
    return poll(&p, 1, wait_ms) > 0;
  }

 private:
  static void Write(int fd, uint64_t v) {
    if (write(fd, &v, sizeof v) != sizeof v) abort();
  }
  static std::optional<uint64_t> Read(int fd, int timeout_ms) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) return std::nullopt;
    uint64_t v = 0;
    if (read(fd, &v, sizeof v) != sizeof v) return std::nullopt;
    return v;
  }
  int to_child_[2];
  int to_parent_[2];
};

// Creates the relation's storage in a committed transaction of this process. First forgets
// this process's insert target for it: a previous test in the same process may have used the
// same relation number in another (now deleted) data directory, with a fresh pool whose
// relation-drop count (B11) started at zero again. (The harness resets the smgr cache itself.)
inline Relation CreateTestHeap(uint32_t rel_number, const char* name = "t") {
  HioForgetRelation(keel::testing::ServerHarness::TestRelation(rel_number, name).locator);
  Relation rel = keel::testing::ServerHarness::TestRelation(rel_number, name);
  transam::StartTransaction();
  HeapCreateStorage(rel);
  transam::CommitTransaction();
  return rel;
}

// Inserts `payload` in its own committed transaction; returns the tid.
inline storage::ItemPointer InsertCommitted(const Relation& rel, std::string_view payload) {
  transam::StartTransaction();
  HeapTuple t = MakeTuple(payload);
  storage::ItemPointer tid = HeapInsert(rel, t, transam::GetCurrentCommandId(true));
  transam::CommitTransaction();
  return tid;
}

}  // namespace keel::access::testing
