// The catalog bootstrap: creates every catalog's heap and btree indexes in a fresh data
// directory and fills them with the built-in rows, inside the caller's transaction. Called by
// keel-initdb (wiring: the lead). Order and invariants C7, C12-C16: backend/catalog/README.md.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "storage/common/ids.h"

namespace keel::catalog {

struct BootstrapOptions {
  // The database whose per-database catalogs are created (base/<database>/); shared
  // catalogs go to global/ whatever it is.
  Oid database{1};
  // Its pg_database row's name when it is not template1 (oid 1 is always "template1").
  std::string database_name = "postgres";
  // The bootstrap superuser (pg_authid oid 10).
  std::string superuser = "keel";
  int32_t encoding = 6;        // pg_database.encoding: PostgreSQL's PG_UTF8
  std::string locale = "C";    // datcollate / datctype
};

struct BootstrapResult {
  std::map<uint32_t, int64_t> rows;  // catalog oid -> rows inserted
  int heaps_created = 0;
  int indexes_created = 0;
};

// Creates the storage of every catalog and catalog index of AllCatalogs() (shared ones only
// when `create_shared`, i.e. the first database of a cluster) and inserts the bootstrap rows
// with an entry in every index (C12-C16). pg_database always gets template1 (oid 1), plus
// options.database when that is another oid.
// Requires: an active transaction (the caller commits it); the directories global/ and
// base/<options.database>/ exist; the btree index AM is registered (RegisterBuiltins); no
// catalog storage exists yet and nobody else uses the database (no locks are taken).
// Throws what the heap, the index AM and storage throw (e.g. 58P02 when a file exists).
BootstrapResult BootstrapCatalogs(const BootstrapOptions& options, bool create_shared = true);

}  // namespace keel::catalog
