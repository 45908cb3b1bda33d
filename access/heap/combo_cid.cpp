// Combo command ids: when a transaction deletes a tuple it inserted itself, both cmin and cmax
// matter to its own later commands, but the header has one cid field. The pair is kept in a
// process-local table and the tuple stores its index (kHeapComboCid). README.md (HP5).
#include <unordered_map>
#include <utility>
#include <vector>

#include "access/heap/heapam_internal.h"
#include "access/heap/visibility.h"
#include "access/transam/xact.h"
#include "backend/utils/error/error.h"

namespace keel::access {
namespace {

// The table belongs to one top-level transaction (`owner`). Every process that uses shared
// state registers AtEndOfTransactionComboCids as a transaction-end callback
// (postmaster/shared_state.cpp); as a second line of defence the table is also reset lazily the
// first time a different top-level transaction adds to it (HP5). Only tuples whose xmin is the
// current transaction's are ever looked up, so a stale table is never consulted.
struct ComboTable {
  TransactionId owner;
  std::vector<std::pair<uint32_t, uint32_t>> pairs;        // combo id -> (cmin, cmax)
  std::unordered_map<uint64_t, uint32_t> index;            // (cmin << 32 | cmax) -> combo id
};

ComboTable& Table() {
  static ComboTable table;
  return table;
}

uint32_t GetComboId(CommandId cmin, CommandId cmax) {
  ComboTable& t = Table();
  TransactionId top = transam::GetTopTransactionIdIfAny();
  if (t.owner != top) {
    t.pairs.clear();
    t.index.clear();
    t.owner = top;
  }
  const uint64_t key = (static_cast<uint64_t>(cmin.value()) << 32) | cmax.value();
  auto it = t.index.find(key);
  if (it != t.index.end()) return it->second;
  if (t.pairs.size() >= 0xFFFFFFFEu) {
    throw Error(sqlstate::kProgramLimitExceeded,
                "cannot have more than 2^32-1 combo command ids in a transaction");
  }
  const uint32_t id = static_cast<uint32_t>(t.pairs.size());
  t.pairs.emplace_back(cmin.value(), cmax.value());
  t.index.emplace(key, id);
  return id;
}

}  // namespace

CommandId HeapTupleGetCmin(const HeapTupleHeader* tuple) {
  if ((tuple->infomask & kHeapComboCid) == 0) return CommandId(tuple->cid);
  const ComboTable& t = Table();
  KEEL_ASSERT(tuple->cid < t.pairs.size());
  if (tuple->cid >= t.pairs.size()) return CommandId(tuple->cid);
  return CommandId(t.pairs[tuple->cid].first);
}

CommandId HeapTupleGetCmax(const HeapTupleHeader* tuple) {
  if ((tuple->infomask & kHeapComboCid) == 0) return CommandId(tuple->cid);
  const ComboTable& t = Table();
  KEEL_ASSERT(tuple->cid < t.pairs.size());
  if (tuple->cid >= t.pairs.size()) return CommandId(tuple->cid);
  return CommandId(t.pairs[tuple->cid].second);
}

void AtEndOfTransactionComboCids() {
  ComboTable& t = Table();
  t.owner = kInvalidTransactionId;
  if (t.pairs.empty()) return;  // the common case: no combo ids at all
  t.pairs.clear();
  t.pairs.shrink_to_fit();
  t.index.clear();
}

namespace internal {

CommandId ComputeCmaxToStore(const HeapTupleHeader* tuple, CommandId cmax, bool* combo) {
  if ((tuple->infomask & kHeapXminCommitted) == 0 &&
      transam::TransactionIdIsCurrentTransactionId(tuple->Xmin())) {
    *combo = true;
    return CommandId(GetComboId(HeapTupleGetCmin(tuple), cmax));
  }
  *combo = false;
  return cmax;
}

}  // namespace internal
}  // namespace keel::access
