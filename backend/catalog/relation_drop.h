// Removing relations and what belongs to them (PostgreSQL's heap_drop_with_catalog,
// index_drop, RemoveTypeById, RemoveConstraintById, RemoveAttrDefaultById) as the droppers
// dependency.h's PerformDeletion calls. README.md ("Dropping", T17-T19).
#pragma once

#include "storage/common/ids.h"

namespace keel::catalog {

// Registers the droppers of pg_class (tables, indexes), pg_type (row types and their arrays),
// pg_constraint and pg_attrdef with RegisterObjectDropper (D9). Process-local: call at process
// start in every process that may drop relations (postmaster::RegisterBuiltins, before the
// fork; test set-up). Idempotent.
void RegisterRelationDroppers();

// heap_drop_with_catalog / index_drop: deletes the relation's pg_index row (an index), its
// pg_attribute rows (user and system columns) and pg_class row, and schedules its file for
// removal at commit (RelationDropStorage, T17). Relcache messages go out with the rows (C17).
// Requires: AccessExclusiveLock on the relation (PerformDeletion's); the relation's dependents
// are gone. Throws XX000 `cache lookup failed for relation %u`.
void HeapDropWithCatalog(Oid relid);

// RemoveTypeById: deletes the pg_type row. Throws XX000 `cache lookup failed for type %u`.
void RemoveTypeById(Oid typid);

}  // namespace keel::catalog
