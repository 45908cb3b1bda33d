// The registry of index access methods (a small fixed table of pg_am oid -> implementation,
// process-local) and the AM-neutral helpers of the interface. README.md (IX4, "Scan keys").
#include "access/index/indexam.h"

#include <algorithm>

#include "access/common/am_registry.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/sqlstate.h"

namespace keel::access {
namespace {

// IX4: filled at start-up (inherited by forked backends), never shrinks.
using Registry = AmRegistry<IndexAm, kMaxIndexAms>;

Registry& GetRegistry() {
  static Registry registry("index");
  return registry;
}

}  // namespace

void RegisterIndexAm(Oid am_oid, const IndexAm& am) { GetRegistry().Register(am_oid, am); }
const IndexAm* FindIndexAm(Oid am_oid) noexcept { return GetRegistry().Find(am_oid); }
const IndexAm& GetIndexAm(Oid am_oid) { return GetRegistry().Get(am_oid); }
Oid GetIndexAmOid(std::string_view name) { return GetRegistry().OidOf(name); }

#ifdef KEEL_DEBUG
void TestOnlyResetIndexAms() { GetRegistry().Clear(); }
#endif

bool TidIsInSortedSpan(storage::ItemPointer heap_tid, void* arg) {
  const auto* tids = static_cast<const std::span<const storage::ItemPointer>*>(arg);
  return std::binary_search(tids->begin(), tids->end(), heap_tid);
}

// ---- scan keys (scan_key.h) --------------------------------------------------------------

bool ScanKeyMatches(const ScanKey& key, Datum value, bool isnull) {
  if ((key.flags & kSkSearchNull) != 0) return isnull;
  if ((key.flags & kSkSearchNotNull) != 0) return !isnull;
  // IX6: SQL comparison with NULL is never true; the comparator never sees a NULL.
  if (isnull || (key.flags & kSkIsNull) != 0) return false;
  KEEL_ASSERT(key.compare != nullptr);
  const int c = key.compare(value, key.argument, key.compare_arg);
  switch (key.strategy) {
    case strategy::kLess: return c < 0;
    case strategy::kLessEqual: return c <= 0;
    case strategy::kEqual: return c == 0;
    case strategy::kGreaterEqual: return c >= 0;
    case strategy::kGreater: return c > 0;
    default:
      throw Error(sqlstate::kInternalError,
                  Format("unrecognized StrategyNumber: %d", static_cast<int>(key.strategy)));
  }
}

bool ScanKeysMatch(std::span<const ScanKey> keys, std::span<const Datum> values,
                   std::span<const bool> isnull) {
  for (const ScanKey& key : keys) {
    KEEL_ASSERT(key.attno >= 1 && static_cast<size_t>(key.attno) <= values.size());
    const auto col = static_cast<size_t>(key.attno - 1);
    if (!ScanKeyMatches(key, values[col], isnull[col])) return false;
  }
  return true;
}

}  // namespace keel::access
