// The per-process table of resource managers. See rmgr.h and README.md (W9).
#include "access/transam/rmgr.h"

#include <array>

namespace keel::transam {
namespace {

// Process-local; every process registers the same ops at start-up (children inherit the
// postmaster's table through fork).
std::array<RmgrOps, kMaxRmgrs> rmgr_table{};
std::array<bool, kMaxRmgrs> rmgr_registered{};

}  // namespace

void RegisterRmgr(RmgrId id, const RmgrOps& ops) {
  const auto idx = static_cast<size_t>(id);
  rmgr_table[idx] = ops;
  rmgr_registered[idx] = true;
}

const RmgrOps* GetRmgr(RmgrId id) {
  const auto idx = static_cast<size_t>(id);
  return rmgr_registered[idx] ? &rmgr_table[idx] : nullptr;
}

}  // namespace keel::transam
