// The max-heap inside one free space map page; see fsm_page_internal.h and README.md (F2, F5).
#include <algorithm>
#include <atomic>

#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "storage/freespace/fsm_page_internal.h"

namespace keel::storage::fsm {
namespace {

uint8_t* Nodes(Page page) { return reinterpret_cast<uint8_t*>(page + kNodesOffset); }
const uint8_t* Nodes(const std::byte* page) {
  return reinterpret_cast<const uint8_t*>(page + kNodesOffset);
}

// The search start hint is written under a share lock by concurrent searchers (F6): an
// atomic_ref keeps that a benign race. Relaxed: it is only a hint.
std::atomic_ref<uint32_t> NextSlot(Page page) {
  return std::atomic_ref<uint32_t>(*reinterpret_cast<uint32_t*>(page + kNextSlotOffset));
}

// The last level of the heap is incomplete: nodes past the array hold nothing.
uint8_t NodeValue(const uint8_t* nodes, int node) { return node < kNodesPerPage ? nodes[node] : 0; }
int LeftChild(int node) { return 2 * node + 1; }
int Parent(int node) { return (node - 1) / 2; }
uint8_t ChildMax(const uint8_t* nodes, int node) {
  const int left = LeftChild(node);
  return std::max(NodeValue(nodes, left), NodeValue(nodes, left + 1));
}
// The next node to the right on the same level, wrapping from the last to the first. Level k
// holds nodes 2^k - 1 .. 2^(k+1) - 2; node n is the last of its level when n + 2 is a power
// of two, and the first of its level is then n / 2.
int RightNeighbour(int node) {
  const unsigned next = static_cast<unsigned>(node) + 2;
  if ((next & (next - 1)) == 0) return node / 2;
  return node + 1;
}

}  // namespace

uint8_t AvailToCategory(size_t avail_bytes) {
  if (avail_bytes >= kMaxRequestBytes) return 255;
  // F1: round down, and keep 255 for "an empty page" so a maximal request is not promised
  // a page that cannot take it.
  return static_cast<uint8_t>(std::min<size_t>(avail_bytes / kCategoryBytes, 254));
}

uint8_t NeededToCategory(size_t needed_bytes) {
  if (needed_bytes > kMaxRequestBytes) {
    throw Error(sqlstate::kInternalError,
                Format("invalid FSM request size %zu", needed_bytes));
  }
  if (needed_bytes == 0) return 1;  // any page with some room
  return static_cast<uint8_t>(
      std::min<size_t>((needed_bytes + kCategoryBytes - 1) / kCategoryBytes, 255));
}

uint8_t PageGetSlot(const std::byte* page, int slot) {
  KEEL_ASSERT(slot >= 0 && slot < kSlotsPerPage);
  return Nodes(page)[kNonLeafNodes + slot];
}

uint8_t PageRootValue(const std::byte* page) { return Nodes(page)[0]; }

bool PageSetSlot(Page page, int slot, uint8_t value) {
  KEEL_ASSERT(slot >= 0 && slot < kSlotsPerPage);
  uint8_t* nodes = Nodes(page);
  int node = kNonLeafNodes + slot;
  if (nodes[node] == value) return false;
  nodes[node] = value;
  // F5: every inner node is the max of its children; stop where nothing changes any more.
  while (node > 0) {
    node = Parent(node);
    const uint8_t max = ChildMax(nodes, node);
    if (nodes[node] == max) break;
    nodes[node] = max;
  }
  return true;
}

int PageSearch(Page page, uint8_t needed, bool advance, bool* inconsistent) {
  *inconsistent = false;
  uint8_t* nodes = Nodes(page);
  if (nodes[0] < needed) return -1;

  uint32_t start = NextSlot(page).load(std::memory_order_relaxed);
  if (start >= static_cast<uint32_t>(kSlotsPerPage)) start = 0;
  // Climb from the start leaf: each step looks at the parent of the right neighbour, a
  // subtree that covers the range just to the right of what was looked at, one level larger.
  // At the latest the root (node 0) qualifies, and it does (checked above).
  int node = kNonLeafNodes + static_cast<int>(start);
  while (node > 0 && NodeValue(nodes, node) < needed) node = Parent(RightNeighbour(node));

  // Descend to the leftmost qualifying leaf below it.
  while (node < kNonLeafNodes) {
    const int left = LeftChild(node);
    if (NodeValue(nodes, left) >= needed) {
      node = left;
    } else if (NodeValue(nodes, left + 1) >= needed) {
      node = left + 1;
    } else {
      *inconsistent = true;  // F5 broken: the caller rebuilds the page
      return -1;
    }
  }
  const int slot = node - kNonLeafNodes;
  NextSlot(page).store(static_cast<uint32_t>(slot + (advance ? 1 : 0)), std::memory_order_relaxed);
  return slot;
}

bool PageRebuild(Page page) {
  uint8_t* nodes = Nodes(page);
  bool changed = false;
  for (int node = kNonLeafNodes - 1; node >= 0; --node) {
    const uint8_t max = ChildMax(nodes, node);
    if (nodes[node] != max) {
      nodes[node] = max;
      changed = true;
    }
  }
  return changed;
}

bool PageClearFrom(Page page, int first_slot) {
  uint8_t* nodes = Nodes(page);
  bool changed = false;
  for (int slot = std::max(first_slot, 0); slot < kSlotsPerPage; ++slot) {
    if (nodes[kNonLeafNodes + slot] != 0) {
      nodes[kNonLeafNodes + slot] = 0;
      changed = true;
    }
  }
  return PageRebuild(page) || changed;
}

}  // namespace keel::storage::fsm
