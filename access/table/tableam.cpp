// The registry of table access methods: a small fixed table of (pg_am oid, implementation),
// process-local, with the heap always present. README.md ("Registry", TA11).
#include "access/table/tableam.h"

#include <array>
#include <string>

#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/sqlstate.h"

namespace keel::access {
namespace {

struct Entry {
  Oid oid;
  const TableAm* am = nullptr;
};

// TA11: process-local, filled at start-up (inherited by forked backends), never shrinks.
// Lookups scan at most kMaxTableAms entries: cheaper than hashing for so few.
struct Registry {
  std::array<Entry, kMaxTableAms> entries;
  int count = 0;
};

Registry& GetRegistry() {
  // Function-local: built on first use, so no static-initialisation order to worry about.
  static Registry registry = [] {
    Registry r;
    r.entries[0] = {kHeapTableAmOid, &GetHeapTableAm()};
    r.count = 1;
    return r;
  }();
  return registry;
}

}  // namespace

void RegisterTableAm(Oid am_oid, const TableAm& am) {
  Registry& r = GetRegistry();
  if (am_oid == kInvalidOid) {
    throw Error(sqlstate::kInternalError,
                Format("invalid access method oid %u for \"%.*s\"", am_oid.value(),
                       static_cast<int>(am.Name().size()), am.Name().data()));
  }
  for (int i = 0; i < r.count; ++i) {
    const Entry& e = r.entries[static_cast<size_t>(i)];
    const std::string_view taken = e.am->Name();
    if (taken == am.Name()) {  // PostgreSQL's CREATE ACCESS METHOD text
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
  if (r.count == kMaxTableAms) {
    throw Error(sqlstate::kProgramLimitExceeded,
                Format("too many table access methods (at most %d)", kMaxTableAms));
  }
  r.entries[static_cast<size_t>(r.count++)] = {am_oid, &am};
}

const TableAm* FindTableAm(Oid am_oid) noexcept {
  const Registry& r = GetRegistry();
  for (int i = 0; i < r.count; ++i) {
    const Entry& e = r.entries[static_cast<size_t>(i)];
    if (e.oid == am_oid) return e.am;
  }
  return nullptr;
}

const TableAm& GetTableAm(Oid am_oid) {
  const TableAm* am = FindTableAm(am_oid);
  if (am == nullptr) {
    // PostgreSQL's text when pg_am has no such row; the detail says what is actually missing.
    throw Error(sqlstate::kInternalError,
                Format("cache lookup failed for access method %u", am_oid.value()))
        .WithDetail(Format("No table access method is registered under oid %u.", am_oid.value()));
  }
  return *am;
}

Oid GetTableAmOid(std::string_view name) {
  const Registry& r = GetRegistry();
  for (int i = 0; i < r.count; ++i) {
    const Entry& e = r.entries[static_cast<size_t>(i)];
    if (e.am->Name() == name) return e.oid;
  }
  throw Error(sqlstate::kUndefinedObject,
              Format("access method \"%.*s\" does not exist", static_cast<int>(name.size()),
                     name.data()));
}

}  // namespace keel::access
