// Namespaces and search_path resolution; see namespace.h and README.md ("Namespaces and
// search_path", N1-N6).
#include "backend/catalog/namespace.h"

#include <unistd.h>

#include <algorithm>

#include "access/transam/xact.h"
#include "backend/catalog/catalog_defs.h"
#include "backend/catalog/catalog_lookup.h"
#include "backend/catalog/catalog_values.h"
#include "backend/catalog/catalog_write.h"
#include "backend/catalog/dependency.h"
#include "backend/catalog/new_oid.h"
#include "backend/catalog/object_address.h"
#include "backend/catalog/object_address_internal.h"
#include "backend/utils/cache/inval.h"
#include "backend/utils/cache/syscache_ids.h"
#include "backend/utils/config/settings.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/sqlstate.h"
#include "backend/utils/init/session_globals.h"
#include "storage/ipc/proc_array.h"
#include "storage/ipc/process_context.h"

namespace keel::catalog {

using internal::Cat;
using internal::RowByOid;

namespace {

constexpr uint32_t kNamespaceNameIndex = 2684;
constexpr uint32_t kClassNameNspIndex = 2663;
constexpr uint32_t kTypeNameNspIndex = 2704;
constexpr uint32_t kProcNameArgsNspIndex = 2691;

// The resolved search path (N2): valid until search_path's value, the role or the temporary
// namespace change, or an invalidation of pg_namespace / pg_authid (or a reset) arrives.
struct PathCache {
  bool valid = false;
  std::string source;              // settings::search_path it was computed from
  Oid role{kInvalidOid};
  std::vector<Oid> active;         // the effective path (implicit namespaces included)
  std::vector<Oid> listed;         // the explicitly listed namespaces that exist
  Oid creation{kInvalidOid};       // first listed namespace
  bool temp_creation_pending = false;  // pg_temp listed first but not created yet
};

// This backend's temporary namespace (N4). `created_level`: the transaction nesting level
// that created it while that transaction is open, 0 once committed.
struct TempState {
  Oid nsp{kInvalidOid};
  Oid toast_nsp{kInvalidOid};
  int created_level = 0;
};

// Process-local; a forked child is another backend, so it starts afresh (N6).
struct NamespaceState {
  pid_t pid = 0;
  PathCache path;
  TempState temp;
};
NamespaceState state;

NamespaceState& State() {
  if (state.pid != getpid()) {
    state = NamespaceState{};
    state.pid = getpid();
  }
  return state;
}

void ForgetTempNamespace() {
  NamespaceState& s = State();
  s.temp = TempState{};
  s.path.valid = false;
}

// Temporary namespace bookkeeping at (sub)transaction ends (N4).
void NamespaceXactHook(transam::XactHookEvent event, int nesting_level) {
  TempState& t = State().temp;
  if (t.created_level == 0) return;
  switch (event) {
    case transam::XactHookEvent::kCommitBeforeLockRelease:
      t.created_level = 0;
      break;
    case transam::XactHookEvent::kPrePrepare:
      // The namespace would belong to a transaction this backend no longer owns (PostgreSQL
      // refuses PREPARE after any use of temporary objects).
      throw Error(sqlstate::kFeatureNotSupported,
                  "cannot PREPARE a transaction that has operated on temporary objects");
    case transam::XactHookEvent::kAbortBeforeLockRelease:
      ForgetTempNamespace();
      break;
    case transam::XactHookEvent::kSubCommit:
      if (t.created_level == nesting_level) t.created_level = nesting_level - 1;
      break;
    case transam::XactHookEvent::kSubAbort:
      if (t.created_level >= nesting_level) ForgetTempNamespace();
      break;
    default: break;
  }
}

// Callbacks and the xact hook, once per process (inherited by forked children, like the
// callback lists themselves).
void EnsureRegistered() {
  static bool registered = false;
  if (registered) return;
  registered = true;
  // N2: row messages of the caches over pg_authid (a renamed or dropped role changes what
  // "$user" means) and pg_namespace (a schema created, renamed or dropped); their writes send
  // nothing else (C17). Whole-catalog messages (C17's fallback) and resets as well.
  for (const cache::SysCacheId id :
       {cache::SysCacheId::kAuthOid, cache::SysCacheId::kNamespaceOid,
        cache::SysCacheId::kNamespaceName}) {
    cache::CacheRegisterCatalogRowCallback(cache::SysCacheMessageId(id),
                                           [](uint32_t, bool) { State().path.valid = false; });
  }
  cache::CacheRegisterCatalogCallback([](Oid catalog) {
    if (catalog == Oid(catalog_oid::kPgNamespace) || catalog == Oid(catalog_oid::kPgAuthid)) {
      State().path.valid = false;
    }
  });
  cache::CacheRegisterResetCallback([] { State().path.valid = false; });
  transam::RegisterXactHook(NamespaceXactHook);
}

std::string DowncaseIdentifier(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  if (out.size() >= kNameDataLen) out.resize(kNameDataLen - 1);
  return out;
}

bool IsBlank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// PostgreSQL's SplitIdentifierString with ',' separators: "quoted" identifiers keep their
// case ("" is a quote), others are down-cased; each is truncated to 63 bytes. False for a
// syntax error (empty element, unterminated quote, junk after an identifier).
bool SplitIdentifierList(std::string_view s, std::vector<std::string>* out) {
  size_t i = 0;
  const auto skip_blanks = [&] {
    while (i < s.size() && IsBlank(s[i])) ++i;
  };
  skip_blanks();
  if (i == s.size()) return true;
  for (;;) {
    std::string ident;
    if (s[i] == '"') {
      ++i;
      for (;;) {
        if (i == s.size()) return false;  // unterminated
        if (s[i] == '"') {
          if (i + 1 < s.size() && s[i + 1] == '"') {
            ident += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        ident += s[i++];
      }
      if (ident.empty()) return false;
      if (ident.size() >= kNameDataLen) ident.resize(kNameDataLen - 1);
    } else {
      const size_t start = i;
      while (i < s.size() && s[i] != ',' && s[i] != '"' && !IsBlank(s[i])) ++i;
      if (i == start) return false;
      ident = DowncaseIdentifier(s.substr(start, i - start));
    }
    out->push_back(std::move(ident));
    skip_blanks();
    if (i == s.size()) return true;
    if (s[i] != ',') return false;
    ++i;
    skip_blanks();
    if (i == s.size()) return false;  // trailing comma
  }
}

void AddOnce(std::vector<Oid>* list, Oid nsp) {
  if (nsp != kInvalidOid && std::find(list->begin(), list->end(), nsp) == list->end()) {
    list->push_back(nsp);
  }
}

// recomputeNamespacePath (N1, N2).
const PathCache& Path() {
  EnsureRegistered();
  NamespaceState& s = State();
  PathCache& p = s.path;
  const Oid role = MyRoleId();
  if (p.valid && p.source == settings::search_path && p.role == role) return p;

  std::vector<std::string> names;
  if (!SplitIdentifierList(settings::search_path, &names)) {
    throw Error(sqlstate::kInvalidParameterValue,
                Format("invalid value for parameter \"search_path\": \"%s\"",
                       settings::search_path.c_str()))
        .WithDetail("List syntax is invalid.");
  }
  std::vector<Oid> listed;
  bool temp_missing = false;
  for (const std::string& name : names) {
    if (name == "$user") {
      if (role == kInvalidOid) continue;
      std::optional<std::string> rolname =
          internal::NameByOid(catalog_oid::kPgAuthid, role, "rolname");
      if (rolname) AddOnce(&listed, GetNamespaceOid(*rolname, true));
    } else if (name == "pg_temp") {
      if (s.temp.nsp != kInvalidOid) {
        AddOnce(&listed, s.temp.nsp);
      } else if (listed.empty()) {
        temp_missing = true;  // it ought to be the creation namespace
      }
    } else {
      AddOnce(&listed, GetNamespaceOid(name, true));
    }
  }
  std::vector<Oid> active;
  // Implicit namespaces go in front: the temporary one, then pg_catalog, unless listed (N1).
  if (s.temp.nsp != kInvalidOid &&
      std::find(listed.begin(), listed.end(), s.temp.nsp) == listed.end()) {
    active.push_back(s.temp.nsp);
  }
  if (std::find(listed.begin(), listed.end(), Oid(kPgCatalogNamespace)) == listed.end()) {
    active.push_back(Oid(kPgCatalogNamespace));
  }
  active.insert(active.end(), listed.begin(), listed.end());

  p.creation = listed.empty() ? kInvalidOid : listed.front();
  p.temp_creation_pending = temp_missing;
  p.listed = std::move(listed);
  p.active = std::move(active);
  p.source = settings::search_path;
  p.role = role;
  p.valid = true;
  return p;
}

// A row of `catalog` in `nsp` found by a (name, namespace) unique index.
Oid OidByNameInNamespace(uint32_t catalog, uint32_t index, std::string_view name, Oid nsp) {
  const internal::NameKey key(name);
  const access::Datum keys[] = {key.datum(), access::ObjectIdGetDatum(nsp)};
  const std::vector<access::HeapTuple> rows = internal::RowsByKey(catalog, index, keys);
  if (rows.empty()) return kInvalidOid;
  return Oid(CatalogGetOid(Cat(catalog), rows.front(), "oid"));
}

void CheckCatalogName(const RangeVar& rv) {
  if (rv.catalogname.empty()) return;
  const std::optional<std::string> db =
      internal::NameByOid(catalog_oid::kPgDatabase, internal::CurrentDatabase(), "datname");
  if (!db || *db != rv.catalogname) {
    throw Error(sqlstate::kFeatureNotSupported,
                Format("cross-database references are not implemented: \"%s.%s.%s\"",
                       rv.catalogname.c_str(), rv.schemaname.c_str(), rv.relname.c_str()));
  }
}

// One resolution of `rv` to a relation oid, no lock.
Oid ResolveRelation(const RangeVar& rv, bool missing_ok) {
  NamespaceState& s = State();
  if (rv.relpersistence == 't') {
    if (s.temp.nsp == kInvalidOid) return kInvalidOid;
    if (!rv.schemaname.empty() &&
        LookupExplicitNamespace(rv.schemaname, missing_ok) != s.temp.nsp) {
      throw Error(sqlstate::kInvalidTableDefinition,
                  "temporary tables cannot specify a schema name");
    }
    return GetRelnameRelid(rv.relname, s.temp.nsp);
  }
  if (!rv.schemaname.empty()) {
    const Oid nsp = LookupExplicitNamespace(rv.schemaname, missing_ok);
    return nsp == kInvalidOid ? kInvalidOid : GetRelnameRelid(rv.relname, nsp);
  }
  return RelnameGetRelid(rv.relname);
}

storage::LockTag NamespaceLockTag(Oid nsp) {
  return storage::ObjectLockTag(internal::CurrentDatabase().value(), catalog_oid::kPgNamespace,
                                nsp.value(), 0);
}

// Whether an unqualified lookup finds `oid` first: its namespace is on the path and no earlier
// namespace has an object that `found_in(nsp)` reports (N3).
template <typename FoundIn>
bool VisibleAlongPath(Oid own_nsp, FoundIn&& found_in, bool skip_temp) {
  for (Oid nsp : Path().active) {
    if (skip_temp && IsTempNamespace(nsp)) continue;
    if (nsp == own_nsp) return true;
    if (found_in(nsp)) return false;
  }
  return false;
}

}  // namespace

// --- names ---------------------------------------------------------------------------------------

RangeVar RangeVarFromNameList(std::span<const std::string> names) {
  RangeVar rv;
  switch (names.size()) {
    case 1: rv.relname = names[0]; break;
    case 2: rv.schemaname = names[0]; rv.relname = names[1]; break;
    case 3:
      rv.catalogname = names[0];
      rv.schemaname = names[1];
      rv.relname = names[2];
      break;
    default: {
      std::string joined;
      for (const std::string& n : names) joined += (joined.empty() ? "" : ".") + n;
      throw Error(sqlstate::kSyntaxError,
                  Format("improper relation name (too many dotted names): %s", joined.c_str()));
    }
  }
  return rv;
}

Oid GetNamespaceOid(std::string_view name, bool missing_ok) {
  const Oid nsp = internal::OidByName(catalog_oid::kPgNamespace, kNamespaceNameIndex, name);
  if (nsp == kInvalidOid && !missing_ok) {
    throw Error(sqlstate::kInvalidSchemaName,
                Format("schema \"%.*s\" does not exist", static_cast<int>(name.size()),
                       name.data()));
  }
  return nsp;
}

std::optional<std::string> GetNamespaceName(Oid nsp) {
  return internal::NameByOid(catalog_oid::kPgNamespace, nsp, "nspname");
}

Oid LookupExplicitNamespace(std::string_view name, bool missing_ok) {
  // "pg_temp" means our temporary namespace; it is not created for a mere lookup (N4).
  if (name == "pg_temp" && State().temp.nsp != kInvalidOid) return State().temp.nsp;
  return GetNamespaceOid(name, missing_ok);
}

Oid LookupNamespace(std::string_view name) { return LookupExplicitNamespace(name, false); }

Oid LookupCreationNamespace(std::string_view name) {
  if (name == "pg_temp") return InitTempTableNamespace();
  return GetNamespaceOid(name, false);
}

std::vector<Oid> NamespaceSearchPath(bool include_implicit) {
  const PathCache& p = Path();
  return include_implicit ? p.active : p.listed;
}

Oid DefaultCreationNamespace() { return Path().creation; }

Oid GetRelnameRelid(std::string_view relname, Oid nsp) {
  return OidByNameInNamespace(catalog_oid::kPgClass, kClassNameNspIndex, relname, nsp);
}

Oid RelnameGetRelid(std::string_view relname) {
  for (Oid nsp : Path().active) {
    const Oid relid = GetRelnameRelid(relname, nsp);
    if (relid != kInvalidOid) return relid;
  }
  return kInvalidOid;
}

Oid TypenameGetTypid(std::string_view typname) {
  for (Oid nsp : Path().active) {
    const Oid typid = OidByNameInNamespace(catalog_oid::kPgType, kTypeNameNspIndex, typname, nsp);
    if (typid != kInvalidOid) return typid;
  }
  return kInvalidOid;
}

Oid RangeVarGetRelid(const RangeVar& rv, storage::LockMode lockmode, bool missing_ok) {
  CheckCatalogName(rv);
  const Oid db = internal::CurrentDatabase();
  Oid relid = kInvalidOid;
  Oid locked = kInvalidOid;
  for (;;) {
    relid = ResolveRelation(rv, missing_ok);
    if (lockmode == storage::LockMode::kNoLock) break;
    if (locked != kInvalidOid) {
      if (relid == locked) break;  // two rounds agree: the lock covers the right relation
      (void)storage::LockRelease(storage::RelationLockTag(db.value(), locked.value()), lockmode);
      locked = kInvalidOid;
    }
    if (relid == kInvalidOid) break;
    // Waits for whoever holds a conflicting lock (a dropper, a renamer), then accepts their
    // invalidations (V8); the next round re-resolves the name (N5).
    (void)cache::LockRelationOid(db, relid, lockmode);
    locked = relid;
  }
  if (relid == kInvalidOid && !missing_ok) {
    if (!rv.schemaname.empty()) {
      throw Error(sqlstate::kUndefinedTable,
                  Format("relation \"%s.%s\" does not exist", rv.schemaname.c_str(),
                         rv.relname.c_str()));
    }
    throw Error(sqlstate::kUndefinedTable,
                Format("relation \"%s\" does not exist", rv.relname.c_str()));
  }
  return relid;
}

Oid RangeVarGetCreationNamespace(const RangeVar& rv, char* persistence) {
  CheckCatalogName(rv);
  Oid nsp = kInvalidOid;
  if (!rv.schemaname.empty()) {
    nsp = LookupCreationNamespace(rv.schemaname);
  } else if (rv.relpersistence == 't') {
    nsp = InitTempTableNamespace();
  } else {
    const PathCache& p = Path();
    if (p.temp_creation_pending) {
      nsp = InitTempTableNamespace();
    } else {
      nsp = p.creation;
      if (nsp == kInvalidOid) {
        throw Error(sqlstate::kInvalidSchemaName, "no schema has been selected to create in");
      }
    }
  }
  // RangeVarAdjustRelationPersistence (N7).
  char adjusted = rv.relpersistence;
  switch (rv.relpersistence) {
    case 't':
      if (!IsTempNamespace(nsp)) {
        throw Error(sqlstate::kInvalidTableDefinition,
                    IsAnyTempNamespace(nsp)
                        ? "cannot create relations in temporary schemas of other sessions"
                        : "cannot create temporary relation in non-temporary schema");
      }
      break;
    case 'p':
      if (IsTempNamespace(nsp)) {
        adjusted = 't';
      } else if (IsAnyTempNamespace(nsp)) {
        throw Error(sqlstate::kInvalidTableDefinition,
                    "cannot create relations in temporary schemas of other sessions");
      }
      break;
    default:
      if (IsAnyTempNamespace(nsp)) {
        throw Error(sqlstate::kInvalidTableDefinition,
                    "only temporary relations may be created in temporary schemas");
      }
      break;
  }
  if (persistence != nullptr) *persistence = adjusted;
  return nsp;
}

Oid RangeVarGetAndCheckCreationNamespace(const RangeVar& rv, Oid* existing_relid,
                                         char* persistence) {
  Oid locked = kInvalidOid;
  for (;;) {
    const Oid nsp = RangeVarGetCreationNamespace(rv, persistence);
    if (nsp == locked) {
      if (existing_relid != nullptr) *existing_relid = GetRelnameRelid(rv.relname, nsp);
      return nsp;
    }
    if (locked != kInvalidOid) {
      (void)storage::LockRelease(NamespaceLockTag(locked), storage::LockMode::kAccessShare);
    }
    (void)storage::LockAcquire(NamespaceLockTag(nsp), storage::LockMode::kAccessShare);
    (void)cache::AcceptInvalidationMessages();
    locked = nsp;
  }
}

// --- visibility ----------------------------------------------------------------------------------

bool RelationIsVisible(Oid relid) {
  std::optional<access::HeapTuple> row = RowByOid(catalog_oid::kPgClass, relid);
  if (!row) return false;
  const CatalogRelation& pc = Cat(catalog_oid::kPgClass);
  const std::string name = CatalogGetName(pc, *row, "relname");
  return VisibleAlongPath(
      Oid(CatalogGetOid(pc, *row, "relnamespace")),
      [&](Oid nsp) { return GetRelnameRelid(name, nsp) != kInvalidOid; }, false);
}

bool TypeIsVisible(Oid typid) {
  std::optional<access::HeapTuple> row = RowByOid(catalog_oid::kPgType, typid);
  if (!row) return false;
  const CatalogRelation& ty = Cat(catalog_oid::kPgType);
  const std::string name = CatalogGetName(ty, *row, "typname");
  return VisibleAlongPath(
      Oid(CatalogGetOid(ty, *row, "typnamespace")),
      [&](Oid nsp) {
        return OidByNameInNamespace(catalog_oid::kPgType, kTypeNameNspIndex, name, nsp) !=
               kInvalidOid;
      },
      false);
}

bool FunctionIsVisible(Oid procid) {
  std::optional<access::HeapTuple> row = RowByOid(catalog_oid::kPgProc, procid);
  if (!row) return false;
  const CatalogRelation& pr = Cat(catalog_oid::kPgProc);
  const internal::NameKey name(CatalogGetName(pr, *row, "proname"));
  const access::Datum args = CatalogGetAttr(pr, *row, "proargtypes");
  return VisibleAlongPath(
      Oid(CatalogGetOid(pr, *row, "pronamespace")),
      [&](Oid nsp) {
        const access::Datum keys[] = {name.datum(), args, access::ObjectIdGetDatum(nsp)};
        return !internal::RowsByKey(catalog_oid::kPgProc, kProcNameArgsNspIndex, keys).empty();
      },
      true);
}

bool NamespaceIsInSearchPath(Oid nsp) {
  const std::vector<Oid>& active = Path().active;
  return std::find(active.begin(), active.end(), nsp) != active.end();
}

// --- temporary namespace -------------------------------------------------------------------------

Oid InitTempTableNamespace() {
  EnsureRegistered();
  NamespaceState& s = State();
  if (s.temp.nsp != kInvalidOid) return s.temp.nsp;
  storage::ProcSlot* proc = storage::CurrentProcess().proc;
  if (proc == nullptr) {
    throw Error(sqlstate::kInternalError,
                "cannot create a temporary namespace without a proc slot");
  }
  const int backend_id = proc->slot_idx + 1;
  const std::string name = Format("pg_temp_%d", backend_id);
  const std::string toast_name = Format("pg_toast_temp_%d", backend_id);
  Oid nsp = GetNamespaceOid(name, true);
  if (nsp == kInvalidOid) {
    nsp = NamespaceCreate(name, Oid(kBootstrapSuperuser), true);
    transam::CommandCounterIncrement();
  } else {
    // Left over by a backend of this slot that died without cleaning up: empty it.
    RemoveTempRelations(nsp);
  }
  Oid toast = GetNamespaceOid(toast_name, true);
  if (toast == kInvalidOid) {
    toast = NamespaceCreate(toast_name, Oid(kBootstrapSuperuser), true);
    transam::CommandCounterIncrement();
  }
  s.temp.nsp = nsp;
  s.temp.toast_nsp = toast;
  s.temp.created_level = transam::TransactionNestingLevel();
  s.path.valid = false;
  return nsp;
}

void ResetNamespaceState() {
  state = NamespaceState{};
  state.pid = getpid();
}

Oid MyTempNamespace() { return State().temp.nsp; }
Oid MyTempToastNamespace() { return State().temp.toast_nsp; }

bool IsTempNamespace(Oid nsp) {
  return nsp != kInvalidOid && (nsp == State().temp.nsp || nsp == State().temp.toast_nsp);
}

bool IsAnyTempNamespace(Oid nsp) {
  if (IsTempNamespace(nsp)) return true;
  const std::optional<std::string> name = GetNamespaceName(nsp);
  return name && (name->starts_with("pg_temp_") || name->starts_with("pg_toast_temp_"));
}

void RemoveTempRelations(Oid temp_nsp) {
  PerformDeletion(MakeObjectAddress(catalog_oid::kPgNamespace, temp_nsp), DropBehavior::kCascade,
                  kDeletionInternal | kDeletionQuietly | kDeletionSkipOriginal |
                      kDeletionSkipExtensions,
                  nullptr);
}

// --- pg_namespace rows ---------------------------------------------------------------------------

bool IsReservedSchemaName(std::string_view name) { return name.starts_with("pg_"); }

Oid NamespaceCreate(std::string_view name, Oid owner, bool is_temp) {
  if (name.empty()) throw Error(sqlstate::kInternalError, "no namespace name supplied");
  internal::LockCatalog(catalog_oid::kPgNamespace);
  if (GetNamespaceOid(name, true) != kInvalidOid) {
    throw Error(sqlstate::kDuplicateSchema,
                Format("schema \"%.*s\" already exists", static_cast<int>(name.size()),
                       name.data()));
  }
  const CatalogRelation& ns = Cat(catalog_oid::kPgNamespace);
  const Oid nsp = GetNewOidWithIndex(ns);
  CatalogRowBuilder row(*ns.def, ns.desc);
  row.Oid("oid", nsp.value()).Name("nspname", name).Oid("nspowner", owner.value()).Null("nspacl");
  (void)CatalogInsert(ns, row);
  RecordDependencyOnOwner(Oid(catalog_oid::kPgNamespace), nsp, owner);
  // Extension membership (recordDependencyOnCurrentExtension) comes with CREATE EXTENSION;
  // temporary namespaces never belong to one (is_temp).
  (void)is_temp;
  return nsp;
}

void RemoveSchemaById(Oid nsp) {
  internal::LockCatalog(catalog_oid::kPgNamespace);
  std::optional<access::HeapTuple> row = RowByOid(catalog_oid::kPgNamespace, nsp);
  if (!row) {
    throw Error(sqlstate::kInternalError,
                Format("cache lookup failed for namespace %u", nsp.value()));
  }
  CatalogDelete(Cat(catalog_oid::kPgNamespace), row->self);  // its row messages: N2
}

void RenameNamespaceRow(Oid nsp, std::string_view new_name) {
  internal::LockCatalog(catalog_oid::kPgNamespace);
  std::optional<access::HeapTuple> row = RowByOid(catalog_oid::kPgNamespace, nsp);
  if (!row) {
    throw Error(sqlstate::kInternalError,
                Format("cache lookup failed for namespace %u", nsp.value()));
  }
  const CatalogRelation& ns = Cat(catalog_oid::kPgNamespace);
  CatalogRowBuilder b(*ns.def, ns.desc);
  b.From(*row).Name("nspname", new_name);
  (void)CatalogUpdate(ns, row->self, b);  // its row messages: N2
}

}  // namespace keel::catalog
