// Test-only helpers for the dependency, namespace, object-address, schema and comment tests:
// a bootstrapped test database in a ServerHarness, and hand-made catalog rows (relations,
// columns, types, constraints, defaults, functions, roles) with test droppers for their
// classes, since table / type DDL does not exist yet. Header-only; not part of any library.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "access/common/varlena.h"
#include "access/transam/xact.h"
#include "backend/catalog/bootstrap.h"
#include "backend/catalog/catalog_defs.h"
#include "backend/catalog/catalog_lookup.h"
#include "backend/catalog/catalog_values.h"
#include "backend/catalog/catalog_write.h"
#include "backend/catalog/dependency.h"
#include "backend/catalog/new_oid.h"
#include "backend/catalog/object_address.h"
#include "backend/utils/cache/inval.h"
#include "backend/utils/config/settings.h"
#include "backend/utils/error/error.h"
#include "backend/utils/init/session_globals.h"
#include "tests/server/server_harness.h"

namespace keel::catalog::testing {

inline constexpr Oid kDb{keel::testing::kTestDb};
inline constexpr Oid kSuperuser{kBootstrapSuperuser};
inline constexpr const char* kDefaultSearchPath = "\"$user\", public";

inline const CatalogRelation& TestCat(uint32_t oid) { return OpenCatalog(oid, kDb); }

// Bootstraps the catalogs of kDb (named "postgres", bootstrap superuser "alice", oid 10) in
// one committed transaction: the fixture every catalog, cache and command test starts from.
// Requires: a ServerHarness running in this process, no transaction open.
inline BootstrapResult BootstrapTestDatabase() {
  transam::StartTransaction();
  BootstrapOptions options;
  options.database = kDb;
  options.database_name = "postgres";
  options.superuser = "alice";
  BootstrapResult result = BootstrapCatalogs(options);
  transam::CommitTransaction();
  return result;
}

// The order in which the test droppers removed objects (process-local; tests clear it).
inline std::vector<ObjectAddress>& DropLog() {
  static std::vector<ObjectAddress> log;
  return log;
}

inline void DeleteRowsByKey(uint32_t catalog, uint32_t index, std::vector<access::Datum> keys) {
  const CatalogRelation& cat = TestCat(catalog);
  for (const access::HeapTuple& row :
       CatalogIndexScan(cat, index, keys, transam::GetLatestSnapshot())) {
    CatalogDelete(cat, row.self);
  }
}

inline void DeleteRowByOid(uint32_t catalog, Oid oid) {
  const CatalogRelation& cat = TestCat(catalog);
  std::optional<access::HeapTuple> row = CatalogLookupByOid(cat, oid, transam::GetLatestSnapshot());
  if (!row) throw Error(sqlstate::kInternalError, "test dropper: row is gone");
  CatalogDelete(cat, row->self);
}

// Droppers standing in for DROP TABLE / TYPE / constraint / default / function: they delete the
// object's row (a relation's pg_attribute rows too; a column: its pg_attribute row) and log.
inline void RegisterTestDroppers() {
  RegisterObjectDropper(Oid(catalog_oid::kPgClass), [](const ObjectAddress& o, int) {
    DropLog().push_back(o);
    if (o.objsubid != 0) {
      DeleteRowsByKey(catalog_oid::kPgAttribute, 2659,
                      {access::ObjectIdGetDatum(o.objid),
                       access::Int16GetDatum(static_cast<int16_t>(o.objsubid))});
      return;
    }
    DeleteRowsByKey(catalog_oid::kPgAttribute, 2659, {access::ObjectIdGetDatum(o.objid)});
    DeleteRowByOid(catalog_oid::kPgClass, o.objid);
  });
  for (uint32_t c : {catalog_oid::kPgType, catalog_oid::kPgConstraint, catalog_oid::kPgAttrdef,
                     catalog_oid::kPgProc}) {
    RegisterObjectDropper(Oid(c), [](const ObjectAddress& o, int) {
      DropLog().push_back(o);
      DeleteRowByOid(o.classid.value(), o.objid);
    });
  }
}

// Each helper ends its command: the row is visible to what follows, and the next oid is not
// handed out twice (new_oid.cpp's stopgap only sees earlier commands' rows).
inline void NextCommand() { transam::CommandCounterIncrement(); }

// A pg_class row named `name` in `nsp` (copied from pg_class's own row, then changed).
inline Oid InsertRelation(std::string_view name, Oid nsp, char relkind = 'r',
                          Oid owner = kSuperuser) {
  const CatalogRelation& pc = TestCat(catalog_oid::kPgClass);
  std::optional<access::HeapTuple> proto =
      CatalogLookupByOid(pc, Oid(catalog_oid::kPgClass), transam::GetLatestSnapshot());
  const Oid oid = GetNewOidWithIndex(pc);
  CatalogRowBuilder b(*pc.def, pc.desc);
  b.From(*proto)
      .Oid("oid", oid.value())
      .Name("relname", name)
      .Oid("relnamespace", nsp.value())
      .Oid("relowner", owner.value())
      .Oid("relfilenode", oid.value())
      .Oid("reltablespace", 0)
      .Oid("reltype", 0)
      .Bool("relisshared", false)
      .Char("relkind", relkind)
      .Int2("relnatts", 0);
  (void)CatalogInsert(pc, b);
  NextCommand();
  return oid;
}

// A pg_attribute row (copied from pg_class.relname's, then changed).
inline void InsertAttribute(Oid relid, std::string_view name, int16_t attnum,
                            uint32_t type_oid = 23, bool dropped = false) {
  const CatalogRelation& att = TestCat(catalog_oid::kPgAttribute);
  const std::vector<std::byte> proto_name = MakeName("relname");
  const access::Datum keys[] = {access::ObjectIdGetDatum(Oid(catalog_oid::kPgClass)),
                                access::PointerGetDatum(proto_name.data())};
  std::vector<access::HeapTuple> proto =
      CatalogIndexScan(att, 2658, keys, transam::GetLatestSnapshot());
  CatalogRowBuilder b(*att.def, att.desc);
  b.From(proto.at(0))
      .Oid("attrelid", relid.value())
      .Name("attname", name)
      .Oid("atttypid", type_oid)
      .Int2("attnum", attnum)
      .Bool("attisdropped", dropped);
  (void)CatalogInsert(att, b);
  NextCommand();
}

// A pg_type row (copied from int4's, then changed); typrelid != 0 makes it a row type.
inline Oid InsertType(std::string_view name, Oid nsp, Oid typrelid = kInvalidOid,
                      Oid owner = kSuperuser) {
  const CatalogRelation& ty = TestCat(catalog_oid::kPgType);
  std::optional<access::HeapTuple> proto =
      CatalogLookupByOid(ty, Oid(23), transam::GetLatestSnapshot());
  const Oid oid = GetNewOidWithIndex(ty);
  CatalogRowBuilder b(*ty.def, ty.desc);
  b.From(*proto)
      .Oid("oid", oid.value())
      .Name("typname", name)
      .Oid("typnamespace", nsp.value())
      .Oid("typowner", owner.value())
      .Oid("typrelid", typrelid.value())
      .Oid("typarray", 0)
      .Char("typtype", typrelid == kInvalidOid ? 'b' : 'c');
  (void)CatalogInsert(ty, b);
  NextCommand();
  return oid;
}

inline Oid InsertConstraint(std::string_view name, Oid nsp, Oid relid) {
  const CatalogRelation& con = TestCat(catalog_oid::kPgConstraint);
  const Oid oid = GetNewOidWithIndex(con);
  CatalogRowBuilder b(*con.def, con.desc);
  b.Oid("oid", oid.value()).Name("conname", name).Oid("connamespace", nsp.value())
      .Char("contype", 'c').Bool("condeferrable", false).Bool("condeferred", false)
      .Bool("convalidated", true).Oid("conrelid", relid.value()).Oid("contypid", 0)
      .Oid("conindid", 0).Oid("conparentid", 0).Oid("confrelid", 0).Char("confupdtype", ' ')
      .Char("confdeltype", ' ').Char("confmatchtype", ' ').Bool("conislocal", true)
      .Int4("coninhcount", 0).Bool("connoinherit", false);
  (void)CatalogInsert(con, b);
  NextCommand();
  return oid;
}

inline Oid InsertAttrdef(Oid relid, int16_t attnum) {
  const CatalogRelation& ad = TestCat(catalog_oid::kPgAttrdef);
  const Oid oid = GetNewOidWithIndex(ad);
  CatalogRowBuilder b(*ad.def, ad.desc);
  b.Oid("oid", oid.value()).Oid("adrelid", relid.value()).Int2("adnum", attnum)
      .Bytes("adbin", access::MakeVarlena(std::string_view("{CONST}")));
  (void)CatalogInsert(ad, b);
  NextCommand();
  return oid;
}

inline Oid InsertFunction(std::string_view name, Oid nsp, std::vector<uint32_t> args,
                          Oid owner = kSuperuser) {
  const CatalogRelation& pr = TestCat(catalog_oid::kPgProc);
  const Oid oid = GetNewOidWithIndex(pr);
  CatalogRowBuilder b(*pr.def, pr.desc);
  b.Oid("oid", oid.value()).Name("proname", name).Oid("pronamespace", nsp.value())
      .Oid("proowner", owner.value()).Oid("prolang", 12).Float4("procost", 1)
      .Float4("prorows", 0).Oid("provariadic", 0).Oid("prosupport", 0).Char("prokind", 'f')
      .Bool("prosecdef", false).Bool("proleakproof", false).Bool("proisstrict", true)
      .Bool("proretset", false).Char("provolatile", 'i').Char("proparallel", 's')
      .Int2("pronargs", static_cast<int16_t>(args.size())).Int2("pronargdefaults", 0)
      .Oid("prorettype", 23).Bytes("proargtypes", MakeOidArray(args, true))
      .Text("prosrc", std::string(name));
  (void)CatalogInsert(pr, b);
  NextCommand();
  return oid;
}

// A pg_authid row (copied from the bootstrap superuser's, then changed).
inline Oid InsertRole(std::string_view name, bool superuser = false, bool createrole = false) {
  const CatalogRelation& au = TestCat(catalog_oid::kPgAuthid);
  std::optional<access::HeapTuple> proto =
      CatalogLookupByOid(au, kSuperuser, transam::GetLatestSnapshot());
  const Oid oid = GetNewOidWithIndex(au);
  CatalogRowBuilder b(*au.def, au.desc);
  b.From(*proto).Oid("oid", oid.value()).Name("rolname", name).Bool("rolsuper", superuser)
      .Bool("rolcreaterole", createrole);
  (void)CatalogInsert(au, b);  // its row messages reach the search path (namespace N2)
  NextCommand();
  return oid;
}

// Renames the pg_authid row of `role` (as ALTER ROLE ... RENAME TO writes it: row messages
// only, C17).
inline void RenameRole(Oid role, std::string_view name) {
  const CatalogRelation& au = TestCat(catalog_oid::kPgAuthid);
  std::optional<access::HeapTuple> row =
      CatalogLookupByOid(au, role, transam::GetLatestSnapshot());
  if (!row) throw Error(sqlstate::kInternalError, "test: no such role");
  CatalogRowBuilder b(*au.def, au.desc);
  b.From(*row).Name("rolname", name);
  (void)CatalogUpdate(au, row->self, b);
  NextCommand();
}

// pg_auth_members: `member` is a member of `role`.
inline void GrantRole(Oid role, Oid member) {
  const CatalogRelation& am = TestCat(catalog_oid::kPgAuthMembers);
  CatalogRowBuilder b(*am.def, am.desc);
  b.Oid("roleid", role.value()).Oid("member", member.value()).Oid("grantor", kSuperuser.value())
      .Bool("admin_option", false);
  (void)CatalogInsert(am, b);
  NextCommand();
}

// Rows of `catalog` visible now (in a transaction).
inline size_t CountRows(uint32_t catalog) {
  return CatalogSeqScan(TestCat(catalog), transam::GetLatestSnapshot()).size();
}

inline bool RowExists(uint32_t catalog, Oid oid) {
  return CatalogLookupByOid(TestCat(catalog), oid, transam::GetLatestSnapshot()).has_value();
}

// The error `fn` throws (fails the test when it throws none).
template <typename Fn>
Error ErrorOf(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no error thrown";
  return Error(sqlstate::kSuccessfulCompletion, "");
}

// A harness with the catalogs bootstrapped in kDb (superuser "alice", oid 10), the session
// connected to it as alice, default search_path, test droppers registered.
class CatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    (void)BootstrapTestDatabase();
    SetMyDatabase(kDb, Oid(kDefaultTablespace));
    SetMyRole(kSuperuser);
    cache::SetInvalidationDatabase(kDb);
    settings::search_path = kDefaultSearchPath;
    // A new harness means a new invalidation queue: this first receive is a reset, which
    // drops whatever an earlier test's harness left in process-local caches.
    (void)cache::AcceptInvalidationMessages();
    RegisterTestDroppers();
    DropLog().clear();
  }

  void TearDown() override {
    if (transam::IsTransactionActive()) transam::AbortTransaction();
    settings::search_path = kDefaultSearchPath;
    SetMyRole(kSuperuser);
  }

  keel::testing::ServerHarness harness_;
};

}  // namespace keel::catalog::testing
