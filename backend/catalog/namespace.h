// Namespaces (schemas) and name resolution: the search_path setting resolved to a list of
// namespace oids (PostgreSQL's namespace.c: "$user", pg_catalog implicitly first unless
// listed, the backend's temporary namespace pg_temp_N), lookups of relations and types by
// unqualified name through it, the namespace a new object goes to, and the pg_namespace rows
// themselves. README.md ("Namespaces and search_path", N-invariants).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "storage/common/ids.h"
#include "storage/lmgr/lock.h"

namespace keel::catalog {

// A relation as a statement names it: [catalog.][schema.]relname.
struct RangeVar {
  std::string catalogname;  // empty unless given; must then be the current database
  std::string schemaname;   // empty: unqualified, resolved through the search path
  std::string relname;
  char relpersistence = 'p';  // 'p' permanent, 'u' unlogged, 't' temporary (CREATE TEMP)
};

// makeRangeVarFromNameList: {rel}, {schema, rel} or {catalog, schema, rel}.
// Throws 42601 `improper relation name (too many dotted names): %s`.
[[nodiscard]] RangeVar RangeVarFromNameList(std::span<const std::string> names);

// --- lookups by name -------------------------------------------------------------------------
// All of these read the catalogs under a fresh snapshot of the current transaction (they see
// its own earlier commands' changes). Requires: an active transaction; MyDatabaseId() set.

// get_namespace_oid. Throws 3F000 `schema "%s" does not exist` unless missing_ok.
[[nodiscard]] Oid GetNamespaceOid(std::string_view name, bool missing_ok);
// get_namespace_name: nullopt when there is no such namespace.
[[nodiscard]] std::optional<std::string> GetNamespaceName(Oid nsp);
// LookupExplicitNamespace: a schema named in a qualified name; "pg_temp" means this backend's
// temporary namespace (not created here: nonexistent until something was created in it).
// Throws 3F000 `schema "%s" does not exist` unless missing_ok.
[[nodiscard]] Oid LookupExplicitNamespace(std::string_view name, bool missing_ok);
// LookupExplicitNamespace(name, false).
[[nodiscard]] Oid LookupNamespace(std::string_view name);
// LookupCreationNamespace: the schema to create an object in when the statement names one;
// "pg_temp" creates this backend's temporary namespace if needed. Throws 3F000 as above.
[[nodiscard]] Oid LookupCreationNamespace(std::string_view name);

// The effective search path (fetch_search_path): the temporary namespace (when it exists and
// is not listed), pg_catalog (unless listed), then the listed schemas that exist, each once.
// With include_implicit = false only the explicitly listed ones. Recomputed when
// search_path's value, the current role or pg_namespace / pg_authid changed (N2).
// Throws 22023 `invalid value for parameter "search_path": "%s"` (DETAIL `List syntax is
// invalid.`) for a malformed value.
[[nodiscard]] std::vector<Oid> NamespaceSearchPath(bool include_implicit = true);
// The namespace unqualified CREATEs go to: the first listed schema that exists, kInvalidOid
// when there is none. (A listed but not yet created pg_temp first: see
// RangeVarGetCreationNamespace.)
[[nodiscard]] Oid DefaultCreationNamespace();

// get_relname_relid: the relation `relname` in `nsp`, or kInvalidOid.
[[nodiscard]] Oid GetRelnameRelid(std::string_view relname, Oid nsp);
// RelnameGetRelid: the first relation named `relname` along the search path, or kInvalidOid.
[[nodiscard]] Oid RelnameGetRelid(std::string_view relname);
// TypenameGetTypid: the first type named `typname` along the search path, or kInvalidOid.
[[nodiscard]] Oid TypenameGetTypid(std::string_view typname);

// RangeVarGetRelid: the relation's oid, locked in `lockmode` unless kNoLock (relation lock,
// which also accepts invalidations; if the name resolves differently after the wait, the lock
// is released and the lookup retried). Qualified names look in that schema only ("pg_temp":
// the temporary one), others along the search path.
// Requires: an active, non-failed transaction.
// Throws (unless missing_ok, then kInvalidOid): 42P01 `relation "%s" does not exist` /
// `relation "%s.%s" does not exist`; 3F000 `schema "%s" does not exist`; 0A000
// `cross-database references are not implemented: "%s.%s.%s"` (even with missing_ok);
// plus the lock manager's errors.
[[nodiscard]] Oid RangeVarGetRelid(const RangeVar& rv, storage::LockMode lockmode,
                                   bool missing_ok);

// RangeVarGetCreationNamespace: where CREATE of `rv` puts the relation: its schema when
// qualified, the temporary namespace for a temporary relation (created on first use), else
// DefaultCreationNamespace() (or the temporary namespace when pg_temp is listed first). Then
// PostgreSQL's RangeVarAdjustRelationPersistence (N7): *persistence (if not null) receives
// rv.relpersistence adjusted to the namespace — 'p' in this backend's temporary namespace
// becomes 't' — and the caller must create the relation with it.
// Throws 3F000 `no schema has been selected to create in`, 3F000 `schema "%s" does not
// exist`, 42P16 `cannot create temporary relation in non-temporary schema`, 42P16 `cannot
// create relations in temporary schemas of other sessions`, 42P16 `only temporary relations
// may be created in temporary schemas` (unlogged there), 0A000 as above.
[[nodiscard]] Oid RangeVarGetCreationNamespace(const RangeVar& rv, char* persistence = nullptr);
// RangeVarGetAndCheckCreationNamespace: the same, then AccessShareLock on the namespace object
// (so a concurrent DROP SCHEMA waits for the creating transaction, N5), re-resolved if it
// changed meanwhile. *existing_relid (if not null): a relation of that name already there, or
// kInvalidOid. *persistence (if not null): as above.
[[nodiscard]] Oid RangeVarGetAndCheckCreationNamespace(const RangeVar& rv, Oid* existing_relid,
                                                       char* persistence = nullptr);

// Visibility: whether an unqualified reference to the object's name would find it (its
// namespace is in the search path and nothing of the same name comes earlier). Descriptions
// qualify names that are not visible. kInvalidOid / a missing object: false.
[[nodiscard]] bool RelationIsVisible(Oid relid);
[[nodiscard]] bool TypeIsVisible(Oid typid);
[[nodiscard]] bool FunctionIsVisible(Oid procid);  // same name and argument types
// Whether `nsp` is in the effective search path (temporary namespace included).
[[nodiscard]] bool NamespaceIsInSearchPath(Oid nsp);

// --- temporary namespace (one per backend: pg_temp_N, N = proc slot index + 1) -------------
// InitTempTableNamespace: creates pg_temp_N and pg_toast_temp_N owned by the bootstrap
// superuser (a pg_temp_N left by a crashed backend is reused after RemoveTempRelations) and
// makes them this backend's. Forgotten again if the (sub)transaction that created them aborts
// (N4). Returns the temporary namespace. Requires: an active, non-failed transaction; this
// process has a proc slot.
Oid InitTempTableNamespace();
// This backend's temporary namespace / its toast namespace; kInvalidOid before first use.
[[nodiscard]] Oid MyTempNamespace();
[[nodiscard]] Oid MyTempToastNamespace();
[[nodiscard]] bool IsTempNamespace(Oid nsp);       // this backend's
[[nodiscard]] bool IsAnyTempNamespace(Oid nsp);    // any backend's pg_temp_N / pg_toast_temp_N
// Drops every object in `temp_nsp` (not the namespace itself) quietly, as at backend exit.
void RemoveTempRelations(Oid temp_nsp);
// Forgets this process's search-path cache and temporary namespace, as a new backend starts
// (N6): for a process that becomes a backend of another server or of the same server after a
// crash (tests' ServerHarness). Requires: no transaction open.
void ResetNamespaceState();

// --- pg_namespace rows --------------------------------------------------------------------
// "pg_" prefixed names are reserved for system schemas (IsReservedName).
[[nodiscard]] bool IsReservedSchemaName(std::string_view name);
// NamespaceCreate: inserts the pg_namespace row (nspacl NULL) and the owner's pg_shdepend row
// (the row's cache messages reach every search path: N2). The caller makes it visible
// (CommandCounterIncrement).
// Requires: an active, non-failed transaction. Throws 42P06 `schema "%s" already exists`.
[[nodiscard]] Oid NamespaceCreate(std::string_view name, Oid owner, bool is_temp);
// RemoveSchemaById: deletes the pg_namespace row (the dropper PerformDeletion uses for
// pg_namespace objects). Throws XX000 `cache lookup failed for namespace %u`.
void RemoveSchemaById(Oid nsp);
// Renames the pg_namespace row `nsp` (no checks: RenameSchema in backend/commands does them).
void RenameNamespaceRow(Oid nsp, std::string_view new_name);

}  // namespace keel::catalog
