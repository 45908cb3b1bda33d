// CREATE TABLE, DROP TABLE / DROP INDEX; see table_commands.h and README.md ("Tables").
#include "backend/commands/table_commands.h"

#include <algorithm>
#include <optional>

#include "access/transam/xact.h"
#include "backend/catalog/catalog_defs.h"
#include "backend/catalog/catalog_lookup.h"
#include "backend/catalog/constraint_rows.h"
#include "backend/catalog/heap_create.h"
#include "backend/catalog/index_create.h"
#include "backend/catalog/object_names.h"
#include "backend/catalog/relation_drop.h"
#include "backend/commands/foreign_key_internal.h"
#include "backend/commands/relation_checks_internal.h"
#include "backend/commands/type_resolution_internal.h"
#include "backend/utils/cache/inval.h"
#include "backend/utils/cache/relcache.h"
#include "backend/utils/cache/syscache.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/sqlstate.h"
#include "backend/utils/init/session_globals.h"

namespace keel::commands {

namespace internal {

RelationFacts GetRelationFacts(Oid relid) {
  cache::SysCacheTuple row = cache::SearchSysCache(cache::SysCacheId::kRelOid, relid);
  if (!row) {
    throw Error(sqlstate::kInternalError,
                Format("cache lookup failed for relation %u", relid.value()));
  }
  RelationFacts f;
  f.oid = relid;
  f.name = row.GetName("relname");
  f.namespace_oid = Oid(row.GetOid("relnamespace"));
  f.owner = Oid(row.GetOid("relowner"));
  f.kind = row.GetChar("relkind");
  f.persistence = row.GetChar("relpersistence");
  return f;
}

Oid CurrentUser() {
  const Oid role = MyRoleId();
  if (role == kInvalidOid) throw Error(sqlstate::kInternalError, "no role is set for this session");
  return role;
}

bool IsSystemRelation(const RelationFacts& rel) {
  return rel.namespace_oid == Oid(catalog::kPgCatalogNamespace) ||
         rel.namespace_oid == Oid(catalog::kPgToastNamespace);
}

void CheckRelationOwner(Oid user, const RelationFacts& rel) {
  catalog::CheckObjectOwnership(
      user, rel.kind == 'i' ? catalog::ObjectType::kIndex : catalog::ObjectType::kTable,
      catalog::MakeObjectAddress(catalog::catalog_oid::kPgClass, rel.oid),
      catalog::ObjectName{{rel.name}, {}});
}

void CheckNotSystemCatalog(const RelationFacts& rel) {
  if (IsSystemRelation(rel)) {
    throw Error(sqlstate::kInsufficientPrivilege,
                Format("permission denied: \"%s\" is a system catalog", rel.name.c_str()));
  }
}

}  // namespace internal

namespace {

using catalog::RangeVar;

// One column of the table being created.
struct ColumnPlan {
  catalog::NewColumn column;
  std::optional<std::string> default_expr;
  bool saw_null = false;
  bool saw_not_null = false;
};

// A PRIMARY KEY / UNIQUE / CHECK / FOREIGN KEY constraint with its columns named.
struct ConstraintPlan {
  Constraint c;
  std::vector<std::string> columns;  // key columns (p/u/f); CHECK: expression columns
};

int16_t ColumnNumber(const std::vector<ColumnPlan>& cols, const std::string& name) {
  for (size_t i = 0; i < cols.size(); ++i) {
    if (cols[i].column.name == name) return static_cast<int16_t>(i + 1);
  }
  return 0;
}

void RefuseIdentityAndSerial(const CreateStmt& stmt) {
  static constexpr const char* kSerials[] = {"serial",  "bigserial", "smallserial",
                                             "serial2", "serial4",   "serial8"};
  for (const ColumnDef& col : stmt.columns) {
    if (col.type_name.names.size() == 1 && col.type_name.array_bounds == 0) {
      for (const char* s : kSerials) {
        if (col.type_name.names[0] == s) {
          throw Error(sqlstate::kFeatureNotSupported,
                      Format("type %s is not supported yet: it needs sequences", s))
              .WithDetail(Format("Column \"%s\" would own a sequence; CREATE SEQUENCE does not "
                                 "exist yet.",
                                 col.colname.c_str()));
        }
      }
    }
    for (const Constraint& c : col.constraints) {
      if (c.contype == ConstrType::kIdentity) {
        throw Error(sqlstate::kFeatureNotSupported,
                    "identity columns are not supported yet: they need sequences")
            .WithDetail(Format("Column \"%s\" is declared GENERATED AS IDENTITY.",
                               col.colname.c_str()));
      }
    }
  }
}

// transformColumnDefinition: column constraints folded into the column or queued as table
// constraints (B2).
void PlanColumns(const CreateStmt& stmt, std::vector<ColumnPlan>* cols,
                 std::vector<ConstraintPlan>* constraints) {
  const std::string& relname = stmt.relation.relname;
  for (const ColumnDef& col : stmt.columns) {
    ColumnPlan p;
    p.column.name = col.colname;
    const ResolvedType t = ResolveTypeName(col.type_name);
    p.column.type = t.type;
    p.column.typmod = t.typmod;
    p.column.ndims = col.type_name.array_bounds;
    for (const Constraint& c : col.constraints) {
      switch (c.contype) {
        case ConstrType::kNull:
        case ConstrType::kNotNull: {
          const bool is_null = c.contype == ConstrType::kNull;
          if ((is_null && p.saw_not_null) || (!is_null && p.saw_null)) {
            throw Error(sqlstate::kSyntaxError,
                        Format("conflicting NULL/NOT NULL declarations for column \"%s\" of "
                               "table \"%s\"",
                               col.colname.c_str(), relname.c_str()));
          }
          (is_null ? p.saw_null : p.saw_not_null) = true;
          p.column.not_null = !is_null;
          break;
        }
        case ConstrType::kDefault:
          if (p.default_expr) {
            throw Error(sqlstate::kSyntaxError,
                        Format("multiple default values specified for column \"%s\" of table "
                               "\"%s\"",
                               col.colname.c_str(), relname.c_str()));
          }
          p.default_expr = c.raw_expr;
          break;
        case ConstrType::kIdentity:
          break;  // refused earlier
        case ConstrType::kCheck: {
          ConstraintPlan cp{c, c.expr_columns};
          if (cp.columns.empty()) cp.columns.push_back(col.colname);
          constraints->push_back(std::move(cp));
          break;
        }
        case ConstrType::kPrimary:
        case ConstrType::kUnique:
        case ConstrType::kForeign:
          constraints->push_back(ConstraintPlan{c, {col.colname}});
          break;
      }
    }
    cols->push_back(std::move(p));
  }
  for (const Constraint& c : stmt.constraints) {
    if (c.contype == ConstrType::kCheck) {
      constraints->push_back(ConstraintPlan{c, c.expr_columns});
    } else if (c.contype == ConstrType::kPrimary || c.contype == ConstrType::kUnique ||
               c.contype == ConstrType::kForeign) {
      constraints->push_back(ConstraintPlan{c, c.keys});
    } else {
      throw Error(sqlstate::kSyntaxError, "unexpected table constraint kind");
    }
  }
}

// transformIndexConstraint's checks (B3): one primary key, existing columns named once; PRIMARY
// KEY columns become NOT NULL.
void CheckKeyConstraints(const std::string& relname, std::vector<ColumnPlan>* cols,
                         const std::vector<ConstraintPlan>& constraints) {
  bool have_primary = false;
  for (const ConstraintPlan& cp : constraints) {
    const ConstrType t = cp.c.contype;
    if (t != ConstrType::kPrimary && t != ConstrType::kUnique) continue;
    if (t == ConstrType::kPrimary) {
      if (have_primary) {
        throw Error(sqlstate::kInvalidTableDefinition,
                    Format("multiple primary keys for table \"%s\" are not allowed",
                           relname.c_str()));
      }
      have_primary = true;
    }
    std::vector<std::string> seen;
    for (const std::string& k : cp.columns) {
      const int16_t attnum = ColumnNumber(*cols, k);
      if (attnum == 0) {
        throw Error(sqlstate::kUndefinedColumn,
                    Format("column \"%s\" named in key does not exist", k.c_str()));
      }
      if (std::find(seen.begin(), seen.end(), k) != seen.end()) {
        throw Error(sqlstate::kDuplicateColumn,
                    Format("column \"%s\" appears twice in %s constraint", k.c_str(),
                           t == ConstrType::kPrimary ? "primary key" : "unique"));
      }
      seen.push_back(k);
      if (t == ConstrType::kPrimary) (*cols)[static_cast<size_t>(attnum - 1)].column.not_null = true;
    }
    for (const std::string& k : cp.c.including) {
      if (ColumnNumber(*cols, k) == 0) {
        throw Error(sqlstate::kUndefinedColumn,
                    Format("column \"%s\" named in key does not exist", k.c_str()));
      }
    }
  }
}

void CheckConstraintNameFree(Oid relid, const std::string& relname, const std::string& name) {
  if (catalog::ConstraintNameExistsOnRelation(relid, name)) {
    throw Error(sqlstate::kDuplicateObject,
                Format("constraint \"%s\" for relation \"%s\" already exists", name.c_str(),
                       relname.c_str()));
  }
}

void AddCheckConstraints(Oid relid, const catalog::NewRelation& rel,
                         const std::vector<ColumnPlan>& cols,
                         const std::vector<ConstraintPlan>& constraints,
                         std::vector<std::string>* names) {
  for (const ConstraintPlan& cp : constraints) {
    if (cp.c.contype != ConstrType::kCheck) continue;
    catalog::NewConstraint c;
    c.name = !cp.c.conname.empty()
                 ? cp.c.conname
                 : catalog::ChooseConstraintName(rel.name,
                                                 cp.columns.empty() ? "" : cp.columns[0], "check",
                                                 rel.namespace_oid, *names);
    CheckConstraintNameFree(relid, rel.name, c.name);
    if (std::find(names->begin(), names->end(), c.name) != names->end()) {
      throw Error(sqlstate::kDuplicateObject,
                  Format("check constraint \"%s\" already exists", c.name.c_str()));
    }
    names->push_back(c.name);
    c.namespace_oid = rel.namespace_oid;
    c.type = catalog::contype::kCheck;
    c.relid = relid;
    for (const std::string& col : cp.columns) {
      const int16_t attnum = ColumnNumber(cols, col);
      if (attnum == 0) {
        throw Error(sqlstate::kUndefinedColumn, Format("column \"%s\" does not exist", col.c_str()));
      }
      if (std::find(c.keys.begin(), c.keys.end(), attnum) == c.keys.end()) c.keys.push_back(attnum);
    }
    c.no_inherit = cp.c.is_no_inherit;
    c.expr = cp.c.raw_expr;
    (void)catalog::CreateConstraintEntry(c);
  }
}

void AddKeyConstraints(Oid relid, const catalog::NewRelation& rel,
                       const std::vector<ColumnPlan>& cols,
                       const std::vector<ConstraintPlan>& constraints) {
  for (const ConstraintPlan& cp : constraints) {
    const bool primary = cp.c.contype == ConstrType::kPrimary;
    if (!primary && cp.c.contype != ConstrType::kUnique) continue;
    catalog::NewIndex ix;
    if (!cp.c.conname.empty()) {
      ix.name = cp.c.conname;
    } else if (primary) {
      ix.name = catalog::ChooseRelationName(rel.name, "", "pkey", rel.namespace_oid);
    } else {
      ix.name = catalog::ChooseRelationName(rel.name, catalog::ChooseIndexNameAddition(cp.columns), "key",
                                            rel.namespace_oid);
    }
    CheckConstraintNameFree(relid, rel.name, ix.name);
    ix.heap = relid;
    for (const std::string& k : cp.columns) ix.attnums.push_back(ColumnNumber(cols, k));
    ix.nkeyatts = static_cast<int>(ix.attnums.size());
    for (const std::string& k : cp.c.including) ix.attnums.push_back(ColumnNumber(cols, k));
    ix.unique = true;
    ix.primary = primary;
    ix.constraint_type = primary ? catalog::contype::kPrimary : catalog::contype::kUnique;
    ix.deferrable = cp.c.deferrable;
    ix.deferred = cp.c.initdeferred;
    (void)catalog::IndexCreate(ix);
  }
}

}  // namespace

Oid CreateTable(const CreateStmt& stmt, catalog::NoticeList* notices) {
  const Oid user = internal::CurrentUser();
  RefuseIdentityAndSerial(stmt);
  if (!stmt.access_method.empty() && stmt.access_method != "heap") {
    throw Error(sqlstate::kUndefinedObject,
                Format("access method \"%s\" does not exist", stmt.access_method.c_str()));
  }
  Oid existing = kInvalidOid;
  char persistence = stmt.relation.relpersistence;
  const Oid nsp =
      catalog::RangeVarGetAndCheckCreationNamespace(stmt.relation, &existing, &persistence);
  // Departure: no USAGE / CREATE privileges on schemas exist yet (catalog README), so 42501
  // `permission denied for schema %s` cannot arise.
  if (existing != kInvalidOid) {
    if (stmt.if_not_exists) {
      catalog::EmitNotice(notices,
                          Error(sqlstate::kDuplicateTable,
                                Format("relation \"%s\" already exists, skipping",
                                       stmt.relation.relname.c_str()),
                                Severity::kNotice));
      return kInvalidOid;
    }
    throw Error(sqlstate::kDuplicateTable,
                Format("relation \"%s\" already exists", stmt.relation.relname.c_str()));
  }

  std::vector<ColumnPlan> cols;
  std::vector<ConstraintPlan> constraints;
  PlanColumns(stmt, &cols, &constraints);
  CheckKeyConstraints(stmt.relation.relname, &cols, constraints);

  catalog::NewRelation rel;
  rel.name = stmt.relation.relname;
  rel.namespace_oid = nsp;
  rel.owner = user;
  rel.kind = 'r';
  rel.persistence = persistence;  // adjusted to the namespace (catalog N7)
  for (ColumnPlan& p : cols) {
    p.column.has_default = false;  // StoreAttrDefault sets atthasdef
    rel.columns.push_back(p.column);
  }
  const Oid relid = catalog::HeapCreateWithCatalog(rel);

  // B4: defaults, then CHECK constraints (AddRelationNewConstraints), then the index
  // constraints, then foreign keys (PostgreSQL's queued ALTER TABLE ... ADD CONSTRAINT).
  for (size_t i = 0; i < cols.size(); ++i) {
    if (cols[i].default_expr) {
      (void)catalog::StoreAttrDefault(relid, static_cast<int16_t>(i + 1), *cols[i].default_expr);
    }
  }
  std::vector<std::string> check_names;
  AddCheckConstraints(relid, rel, cols, constraints, &check_names);
  transam::CommandCounterIncrement();
  AddKeyConstraints(relid, rel, cols, constraints);
  for (const ConstraintPlan& cp : constraints) {
    if (cp.c.contype != ConstrType::kForeign) continue;
    AddForeignKey(relid, cp.c, cp.columns);
  }
  transam::CommandCounterIncrement();
  return relid;
}

void RemoveRelations(const DropStmt& stmt, catalog::NoticeList* notices) {
  const Oid user = internal::CurrentUser();
  const bool want_index = stmt.remove_type == catalog::ObjectType::kIndex;
  const char* word = want_index ? "index" : "table";
  if (stmt.concurrent) {
    throw Error(sqlstate::kFeatureNotSupported, "DROP INDEX CONCURRENTLY is not supported yet");
  }
  std::vector<catalog::ObjectAddress> objects;
  for (const std::vector<std::string>& names : stmt.objects) {
    const RangeVar rv = catalog::RangeVarFromNameList(names);
    Oid relid = catalog::RangeVarGetRelid(rv, storage::LockMode::kNoLock, true);
    if (relid != kInvalidOid && want_index) {
      // RangeVarCallbackForDropRelation: the table before its index, so DROP INDEX and
      // operations locking the table first cannot deadlock.
      const Oid heap = catalog::IndexGetRelation(relid);
      if (heap != kInvalidOid) {
        (void)cache::LockRelationOid(MyDatabaseId(), heap, storage::LockMode::kAccessExclusive);
      }
    }
    if (relid != kInvalidOid) {
      relid = catalog::RangeVarGetRelid(rv, storage::LockMode::kAccessExclusive, true);
    }
    if (relid == kInvalidOid) {
      const bool schema_missing =
          !rv.schemaname.empty() &&
          catalog::LookupExplicitNamespace(rv.schemaname, true) == kInvalidOid;
      if (!stmt.missing_ok) {
        if (schema_missing) (void)catalog::LookupExplicitNamespace(rv.schemaname, false);
        throw Error(want_index ? sqlstate::kUndefinedObject : sqlstate::kUndefinedTable,
                    Format("%s \"%s\" does not exist", word, rv.relname.c_str()));
      }
      catalog::EmitNotice(
          notices, Error(sqlstate::kSuccessfulCompletion,
                         schema_missing ? Format("schema \"%s\" does not exist, skipping",
                                                 rv.schemaname.c_str())
                                        : Format("%s \"%s\" does not exist, skipping", word,
                                                 rv.relname.c_str()),
                         Severity::kNotice));
      continue;
    }
    const internal::RelationFacts facts = internal::GetRelationFacts(relid);
    const bool is_index = facts.kind == 'i' || facts.kind == 'I';
    const bool is_table = facts.kind == 'r' || facts.kind == 'p';
    if (want_index ? !is_index : !is_table) {
      Error e(sqlstate::kWrongObjectType,
              Format("\"%s\" is not %s", rv.relname.c_str(), want_index ? "an index" : "a table"));
      switch (facts.kind) {
        case 'r': case 'p': e.WithHint("Use DROP TABLE to remove a table."); break;
        case 'i': case 'I': e.WithHint("Use DROP INDEX to remove an index."); break;
        case 'v': e.WithHint("Use DROP VIEW to remove a view."); break;
        case 'm': e.WithHint("Use DROP MATERIALIZED VIEW to remove a materialized view."); break;
        case 'S': e.WithHint("Use DROP SEQUENCE to remove a sequence."); break;
        case 'c': e.WithHint("Use DROP TYPE to remove a composite type."); break;
        case 'f': e.WithHint("Use DROP FOREIGN TABLE to remove a foreign table."); break;
        default: break;
      }
      throw e;
    }
    internal::CheckRelationOwner(user, facts);
    internal::CheckNotSystemCatalog(facts);
    const catalog::ObjectAddress address =
        catalog::MakeObjectAddress(catalog::catalog_oid::kPgClass, relid);
    if (std::find(objects.begin(), objects.end(), address) == objects.end()) {
      objects.push_back(address);
    }
  }
  if (objects.empty()) return;
  catalog::PerformMultipleDeletions(objects, stmt.behavior, 0, notices);
}

void RegisterTableCommands() { catalog::RegisterRelationDroppers(); }

}  // namespace keel::commands
