// The access method registries' errors; see am_registry.h.
#include "access/common/am_registry.h"

#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/sqlstate.h"

namespace keel::access::am_registry {
namespace {

int Len(std::string_view s) { return static_cast<int>(s.size()); }

}  // namespace

void ThrowInvalidOid(Oid oid, std::string_view name) {
  throw Error(sqlstate::kInternalError, Format("invalid access method oid %u for \"%.*s\"",
                                               oid.value(), Len(name), name.data()));
}

void ThrowNameTaken(std::string_view name) {  // PostgreSQL's CREATE ACCESS METHOD text
  throw Error(sqlstate::kDuplicateObject,
              Format("access method \"%.*s\" already exists", Len(name), name.data()));
}

void ThrowOidTaken(Oid oid, std::string_view holder) {
  throw Error(sqlstate::kDuplicateObject,
              Format("access method with oid %u already exists", oid.value()))
      .WithDetail(Format("Oid %u belongs to access method \"%.*s\".", oid.value(), Len(holder),
                         holder.data()));
}

void ThrowFull(const char* kind, int max) {
  throw Error(sqlstate::kProgramLimitExceeded,
              Format("too many %s access methods (at most %d)", kind, max));
}

void ThrowUnknownOid(const char* kind, Oid oid) {
  // PostgreSQL's text when pg_am has no such row; the detail says what is actually missing.
  throw Error(sqlstate::kInternalError,
              Format("cache lookup failed for access method %u", oid.value()))
      .WithDetail(Format("No %s access method is registered under oid %u.", kind, oid.value()));
}

void ThrowUnknownName(std::string_view name) {
  throw Error(sqlstate::kUndefinedObject,
              Format("access method \"%.*s\" does not exist", Len(name), name.data()));
}

}  // namespace keel::access::am_registry
