// The registry of table access methods: a small fixed table of (pg_am oid, implementation),
// process-local, with the heap always present. README.md ("Registry", TA11).
#include "access/table/tableam.h"

#include "access/common/am_registry.h"

namespace keel::access {
namespace {

// TA11: process-local, filled at start-up (inherited by forked backends), never shrinks.
using Registry = AmRegistry<TableAm, kMaxTableAms>;

Registry& GetRegistry() {
  // Function-local: built on first use, so no static-initialisation order to worry about.
  static Registry registry = [] {
    Registry r("table");
    r.Register(kHeapTableAmOid, GetHeapTableAm());
    return r;
  }();
  return registry;
}

}  // namespace

void RegisterTableAm(Oid am_oid, const TableAm& am) { GetRegistry().Register(am_oid, am); }
const TableAm* FindTableAm(Oid am_oid) noexcept { return GetRegistry().Find(am_oid); }
const TableAm& GetTableAm(Oid am_oid) { return GetRegistry().Get(am_oid); }
Oid GetTableAmOid(std::string_view name) { return GetRegistry().OidOf(name); }

}  // namespace keel::access
