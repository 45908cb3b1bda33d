// The registry of index access methods (a small fixed table of pg_am oid -> implementation,
// process-local) and the AM-neutral helpers of the interface. README.md (IX4, "Scan keys").
#include "access/index/indexam.h"

#include <algorithm>
#include <array>

#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/sqlstate.h"

namespace keel::access {
namespace {

struct Entry {
  Oid oid;
  const IndexAm* am = nullptr;
};

// IX4: filled at start-up (inherited by forked backends), never shrinks.
struct Registry {
  std::array<Entry, kMaxIndexAms> entries;
  int count = 0;
};

Registry& GetRegistry() {
  static Registry registry;
  return registry;
}

}  // namespace

void RegisterIndexAm(Oid am_oid, const IndexAm& am) {
  Registry& r = GetRegistry();
  const std::string_view name = am.Name();
  if (am_oid == kInvalidOid) {
    throw Error(sqlstate::kInternalError,
                Format("invalid access method oid %u for \"%.*s\"", am_oid.value(),
                       static_cast<int>(name.size()), name.data()));
  }
  for (int i = 0; i < r.count; ++i) {
    const Entry& e = r.entries[static_cast<size_t>(i)];
    const std::string_view taken = e.am->Name();
    if (taken == name) {  // PostgreSQL's CREATE ACCESS METHOD text
      throw Error(sqlstate::kDuplicateObject,
                  Format("access method \"%.*s\" already exists", static_cast<int>(taken.size()),
                         taken.data()));
    }
    if (e.oid == am_oid) {
      throw Error(sqlstate::kDuplicateObject,
                  Format("access method with oid %u already exists", am_oid.value()))
          .WithDetail(Format("Oid %u belongs to access method \"%.*s\".", am_oid.value(),
                             static_cast<int>(taken.size()), taken.data()));
    }
  }
  if (r.count == kMaxIndexAms) {
    throw Error(sqlstate::kProgramLimitExceeded,
                Format("too many index access methods (at most %d)", kMaxIndexAms));
  }
  r.entries[static_cast<size_t>(r.count++)] = {am_oid, &am};
}

const IndexAm* FindIndexAm(Oid am_oid) noexcept {
  const Registry& r = GetRegistry();
  for (int i = 0; i < r.count; ++i) {
    const Entry& e = r.entries[static_cast<size_t>(i)];
    if (e.oid == am_oid) return e.am;
  }
  return nullptr;
}

const IndexAm& GetIndexAm(Oid am_oid) {
  const IndexAm* am = FindIndexAm(am_oid);
  if (am == nullptr) {
    throw Error(sqlstate::kInternalError,
                Format("cache lookup failed for access method %u", am_oid.value()))
        .WithDetail(Format("No index access method is registered under oid %u.", am_oid.value()));
  }
  return *am;
}

Oid GetIndexAmOid(std::string_view name) {
  const Registry& r = GetRegistry();
  for (int i = 0; i < r.count; ++i) {
    const Entry& e = r.entries[static_cast<size_t>(i)];
    if (e.am->Name() == name) return e.oid;
  }
  throw Error(sqlstate::kUndefinedObject,
              Format("access method \"%.*s\" does not exist", static_cast<int>(name.size()),
                     name.data()));
}

#ifdef KEEL_DEBUG
void TestOnlyResetIndexAms() { GetRegistry().count = 0; }
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
