// The B+tree behind the index access method interface (access/index/indexam.h): pg_am oid 403
// "btree", mapping an IndexRelation to this module's BtIndex, scan keys to BtScanKeys, VACUUM's
// callbacks to BtBulkDelete. README.md ("Index-AM interface", BT27-BT30).
#pragma once

#include "access/index/indexam.h"

namespace keel::access::nbtree {

// The process-wide btree index AM (built on first use, never destroyed). Properties are
// PostgreSQL btree's: ordered, backward, unique, multi-column, INCLUDE, optional keys,
// IS [NOT] NULL keys, mark/restore, clusterable, 5 strategies; every column can be returned
// by index-only scans. Errors: what BtBuild / BtInsert / BtScan throw, plus 0A000 for what
// is not supported (README "Index-AM interface").
[[nodiscard]] const IndexAm& GetBtreeIndexAm();

// Registers GetBtreeIndexAm() under kBtreeIndexAmOid unless something already is (start-up,
// before forking: called from postmaster::RegisterBuiltins; idempotent).
void RegisterBtreeIndexAm();

}  // namespace keel::access::nbtree
