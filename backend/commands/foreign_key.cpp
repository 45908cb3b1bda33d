// FOREIGN KEY constraints at CREATE TABLE; see foreign_key_internal.h and README.md (B6).
#include "backend/commands/foreign_key_internal.h"

#include <algorithm>

#include "backend/catalog/builtin_casts.h"
#include "backend/catalog/constraint_rows.h"
#include "backend/catalog/index_create.h"
#include "backend/catalog/namespace.h"
#include "backend/catalog/object_address.h"
#include "backend/catalog/object_names.h"
#include "backend/commands/relation_checks_internal.h"
#include "backend/utils/cache/relcache.h"
#include "backend/utils/cache/syscache.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/sqlstate.h"

namespace keel::commands {
namespace {

constexpr int16_t kEqualStrategy = 3;

// The caller holds the relation's lock already.
cache::RelationRef Open(Oid relid) { return cache::RelationOpen(relid, storage::LockMode::kNoLock); }

int16_t AttnumOf(const cache::RelationData& rel, const std::string& name) {
  const int col = rel.ColumnIndex(name);
  if (col < 0) {
    throw Error(sqlstate::kUndefinedColumn,
                Format("column \"%s\" referenced in foreign key constraint does not exist",
                       name.c_str()));
  }
  return static_cast<int16_t>(col + 1);
}

Oid FamilyMember(Oid family, Oid left, Oid right) {
  cache::SysCacheTuple row = cache::SearchSysCache(cache::SysCacheId::kAmopStrategy, family, left,
                                                   right, int64_t{kEqualStrategy});
  return row ? Oid(row.GetOid("amopopr")) : kInvalidOid;
}

bool ImplicitlyCoercible(Oid from, Oid to) {
  if (from == to) return true;
  const catalog::CastRow* cast = catalog::FindBuiltinCast(from.value(), to.value());
  return cast != nullptr && cast->context == 'i';
}

void CheckPersistence(char fk, char pk) {
  if (fk == 'p' && pk != 'p') {
    throw Error(sqlstate::kInvalidTableDefinition,
                "constraints on permanent tables may reference only permanent tables");
  }
  if (fk == 'u' && pk == 't') {
    throw Error(sqlstate::kInvalidTableDefinition,
                "constraints on unlogged tables may reference only permanent or unlogged tables");
  }
  if (fk == 't' && pk != 't') {
    throw Error(sqlstate::kInvalidTableDefinition,
                "constraints on temporary tables may reference only temporary tables");
  }
}

// transformFkeyGetPrimaryKey / transformFkeyCheckAttrs: the unique index the key uses, and
// the referenced columns in key order.
Oid FindReferencedIndex(const cache::RelationData& pk, std::vector<int16_t>* pk_attnums,
                        bool given) {
  for (Oid index_oid : pk.index_oids) {
    const cache::RelationRef index = Open(index_oid);
    const cache::IndexFacts& f = *index->index_facts;
    if (!given) {
      if (!f.is_primary) continue;
      pk_attnums->assign(f.indkey.begin(), f.indkey.begin() + f.nkeyatts);
      return index_oid;
    }
    if (!f.is_unique || !f.immediate || !f.is_valid ||
        f.nkeyatts != static_cast<int16_t>(pk_attnums->size())) {
      continue;
    }
    std::vector<int16_t> a(f.indkey.begin(), f.indkey.begin() + f.nkeyatts);
    std::vector<int16_t> b = *pk_attnums;
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    if (a == b && std::adjacent_find(b.begin(), b.end()) == b.end()) return index_oid;
  }
  if (!given) {
    throw Error(sqlstate::kInvalidForeignKey,
                Format("there is no primary key for referenced table \"%s\"", pk.name.c_str()));
  }
  throw Error(sqlstate::kInvalidForeignKey,
              Format("there is no unique constraint matching given keys for referenced table "
                     "\"%s\"",
                     pk.name.c_str()));
}

}  // namespace

void AddForeignKey(Oid relid, const Constraint& c, const std::vector<std::string>& fk_columns) {
  const cache::RelationRef fk = Open(relid);
  const Oid pk_oid =
      c.pktable.relname == fk->name && (c.pktable.schemaname.empty() ||
                                        catalog::LookupExplicitNamespace(c.pktable.schemaname,
                                                                         false) == fk->namespace_oid)
          ? relid
          : catalog::RangeVarGetRelid(c.pktable, storage::LockMode::kShareRowExclusive, false);
  const internal::RelationFacts pk_facts = internal::GetRelationFacts(pk_oid);
  if (pk_facts.kind != 'r' && pk_facts.kind != 'p') {
    throw Error(sqlstate::kWrongObjectType,
                Format("referenced relation \"%s\" is not a table", pk_facts.name.c_str()));
  }
  CheckPersistence(fk->persistence, pk_facts.persistence);
  const cache::RelationRef pk = Open(pk_oid);

  catalog::NewConstraint con;
  con.name = !c.conname.empty()
                 ? c.conname
                 : catalog::ChooseConstraintName(fk->name, fk_columns.empty() ? "" : fk_columns[0],
                                                 "fkey", fk->namespace_oid, {});
  if (catalog::ConstraintNameExistsOnRelation(relid, con.name)) {
    throw Error(sqlstate::kDuplicateObject,
                Format("constraint \"%s\" for relation \"%s\" already exists", con.name.c_str(),
                       fk->name.c_str()));
  }
  for (const std::string& col : fk_columns) con.keys.push_back(AttnumOf(*fk, col));
  std::vector<int16_t> pk_attnums;
  for (const std::string& col : c.pk_attrs) pk_attnums.push_back(AttnumOf(*pk, col));
  const Oid index = FindReferencedIndex(*pk, &pk_attnums, !c.pk_attrs.empty());
  if (pk_attnums.size() != con.keys.size()) {
    throw Error(sqlstate::kInvalidForeignKey,
                "number of referencing and referenced columns for foreign key disagree");
  }
  // The equality operators, from the referenced index's operator families (B6).
  const cache::RelationRef index_rel = Open(index);
  const cache::IndexFacts& facts = *index_rel->index_facts;
  for (size_t i = 0; i < pk_attnums.size(); ++i) {
    // The index column holding this referenced column.
    size_t col = 0;
    while (col < static_cast<size_t>(facts.nkeyatts) && facts.indkey[col] != pk_attnums[i]) ++col;
    cache::SysCacheTuple opclass =
        cache::SearchSysCache(cache::SysCacheId::kClaOid, facts.indclass.at(col));
    const Oid family(opclass.GetOid("opcfamily"));
    const Oid opcintype(opclass.GetOid("opcintype"));
    const Oid pktype = pk->desc.attr(pk_attnums[i] - 1).type_id;
    const Oid fktype = fk->desc.attr(con.keys[i] - 1).type_id;
    const Oid ppeq = FamilyMember(family, opcintype, opcintype);
    Oid pfeq = FamilyMember(family, opcintype, fktype);
    Oid ffeq = pfeq != kInvalidOid ? FamilyMember(family, fktype, fktype) : kInvalidOid;
    if (pfeq == kInvalidOid || ffeq == kInvalidOid) {
      if (!ImplicitlyCoercible(fktype, opcintype) && !ImplicitlyCoercible(fktype, pktype)) {
        throw Error(sqlstate::kDatatypeMismatch,
                    Format("foreign key constraint \"%s\" cannot be implemented", con.name.c_str()))
            .WithDetail(Format("Key columns \"%s\" and \"%s\" are of incompatible types: %s and "
                               "%s.",
                               fk->desc.attr(con.keys[i] - 1).name.c_str(),
                               pk->desc.attr(pk_attnums[i] - 1).name.c_str(),
                               catalog::FormatTypeName(fktype).c_str(),
                               catalog::FormatTypeName(pktype).c_str()));
      }
      pfeq = ffeq = ppeq;
    }
    con.pf_eq_ops.push_back(pfeq);
    con.pp_eq_ops.push_back(ppeq);
    con.ff_eq_ops.push_back(ffeq);
  }
  con.namespace_oid = fk->namespace_oid;
  con.type = catalog::contype::kForeign;
  con.deferrable = c.deferrable;
  con.deferred = c.initdeferred;
  con.relid = relid;
  con.index = index;
  con.foreign_relid = pk_oid;
  con.foreign_keys = pk_attnums;
  con.update_action = c.fk_upd_action;
  con.delete_action = c.fk_del_action;
  con.match_type = c.fk_matchtype;
  con.no_inherit = false;
  (void)catalog::CreateConstraintEntry(con);
}

}  // namespace keel::commands
