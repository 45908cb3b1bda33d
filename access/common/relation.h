// What the access methods need to know about an open relation: its files, its ids for locks
// and messages, its tuple descriptor and TOAST table. The catalog issue builds these from
// pg_class; until then tests and the torture server fill them in directly. See README.md.
#pragma once

#include <string>

#include "storage/common/ids.h"

namespace keel::access {

struct TupleDesc;  // access/common/tuple_desc.h

// PostgreSQL's pg_am oid of the heap table access method ("heap"); access/table/tableam.h.
inline constexpr Oid kHeapTableAmOid{2};

struct Relation {
  Oid id;                              // pg_class oid: heavyweight lock tags, messages
  Oid db;                              // database oid (0 for shared catalogs)
  RelFileLocator locator;              // its files
  std::string name;                    // for error messages ("relation \"%s\"")
  const TupleDesc* desc = nullptr;     // column layout; nullptr for opaque-tuple tests
  const Relation* toast = nullptr;     // its TOAST table, if it has one
  Oid am = kHeapTableAmOid;            // pg_class.relam: its table access method (TableAmOf)
};

}  // namespace keel::access
