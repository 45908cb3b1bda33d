// Object descriptions as PostgreSQL prints them, identifier quoting and type names, the
// resolution of statement names to addresses with their locks and errors, and ownership checks
// (README.md, "Object addresses").
#include "backend/catalog/object_address.h"

#include <gtest/gtest.h>

#include "backend/catalog/catalog_test_util.h"
#include "backend/catalog/namespace.h"
#include "backend/utils/error/format.h"

namespace keel::catalog {
namespace {

using testing::CatalogTest;
using testing::ErrorOf;
using testing::InsertRelation;
using testing::kDb;

constexpr Oid kPublic{kPublicNamespace};

std::string Describe(uint32_t classid, Oid oid, int32_t sub = 0) {
  return GetObjectDescription(MakeObjectAddress(classid, oid, sub));
}

Oid CreateNs(std::string_view name, Oid owner = testing::kSuperuser) {
  const Oid nsp = NamespaceCreate(name, owner, false);
  transam::CommandCounterIncrement();
  return nsp;
}

TEST(QuoteIdentifier, QuotesWhatTheParserWouldNotReadBack) {
  EXPECT_EQ(QuoteIdentifier("abc_1"), "abc_1");
  EXPECT_EQ(QuoteIdentifier("_x"), "_x");
  EXPECT_EQ(QuoteIdentifier("Abc"), "\"Abc\"");
  EXPECT_EQ(QuoteIdentifier("1abc"), "\"1abc\"");
  EXPECT_EQ(QuoteIdentifier("a b"), "\"a b\"");
  EXPECT_EQ(QuoteIdentifier("a\"b"), "\"a\"\"b\"");
  EXPECT_EQ(QuoteIdentifier(""), "\"\"");
  EXPECT_EQ(QuoteIdentifier("select"), "\"select\"");   // reserved
  EXPECT_EQ(QuoteIdentifier("char"), "\"char\"");       // column-name keyword
  EXPECT_EQ(QuoteIdentifier("left"), "\"left\"");       // type/function-name keyword
  EXPECT_EQ(QuoteIdentifier("schema"), "schema");       // unreserved
  EXPECT_EQ(QuoteIdentifier("comment"), "comment");
  EXPECT_EQ(QuoteQualifiedIdentifier("s", "T"), "s.\"T\"");
  EXPECT_EQ(QuoteQualifiedIdentifier("", "t"), "t");
}

using ObjectAddressTest = CatalogTest;

TEST_F(ObjectAddressTest, RelationsAreDescribedByKindQualifiedWhenNotVisible) {
  transam::StartTransaction();
  const Oid s = CreateNs("s");
  const struct {
    char kind;
    const char* word;
  } kinds[] = {{'r', "table"}, {'p', "table"}, {'i', "index"}, {'I', "index"},
               {'S', "sequence"}, {'t', "toast table"}, {'v', "view"},
               {'m', "materialized view"}, {'c', "composite type"}, {'f', "foreign table"}};
  int n = 0;
  for (const auto& k : kinds) {
    const std::string name = "r" + std::to_string(n++);
    EXPECT_EQ(Describe(catalog_oid::kPgClass, InsertRelation(name, kPublic, k.kind)),
              std::string(k.word) + " " + name);
    EXPECT_EQ(Describe(catalog_oid::kPgClass, InsertRelation(name, s, k.kind)),
              std::string(k.word) + " s." + name);
  }
  EXPECT_EQ(Describe(catalog_oid::kPgClass, Oid(catalog_oid::kPgClass)), "table pg_class");
  EXPECT_EQ(Describe(catalog_oid::kPgClass, Oid(2662)), "index pg_class_oid_index");
  EXPECT_EQ(Describe(catalog_oid::kPgClass, InsertRelation("My Table", s)), "table s.\"My Table\"");
  EXPECT_EQ(Describe(catalog_oid::kPgClass, InsertRelation("select", kPublic)), "table \"select\"");
  // Hidden behind a same-named table earlier in the path: qualified.
  const Oid hidden = InsertRelation("dup", s);
  settings::search_path = "public, s";
  EXPECT_EQ(Describe(catalog_oid::kPgClass, hidden), "table dup");
  (void)InsertRelation("dup", kPublic);
  EXPECT_EQ(Describe(catalog_oid::kPgClass, hidden), "table s.dup");
  transam::CommitTransaction();
}

TEST_F(ObjectAddressTest, ColumnsDefaultsAndConstraints) {
  transam::StartTransaction();
  const Oid t = InsertRelation("t", kPublic);
  testing::InsertAttribute(t, "c", 1);
  EXPECT_EQ(Describe(catalog_oid::kPgClass, t, 1), "column c of table t");
  EXPECT_EQ(Describe(catalog_oid::kPgClass, Oid(catalog_oid::kPgClass), 2),
            "column relname of table pg_class");
  const Oid def = testing::InsertAttrdef(t, 1);
  EXPECT_EQ(Describe(catalog_oid::kPgAttrdef, def), "default value for column c of table t");
  const Oid con = testing::InsertConstraint("t_c_check", kPublic, t);
  EXPECT_EQ(Describe(catalog_oid::kPgConstraint, con), "constraint t_c_check on table t");
  const Oid dom = testing::InsertConstraint("positive", kPublic, kInvalidOid);
  EXPECT_EQ(Describe(catalog_oid::kPgConstraint, dom), "constraint positive");
  const Error e = ErrorOf([&] { (void)Describe(catalog_oid::kPgClass, t, 7); });
  EXPECT_EQ(e.sqlstate(), sqlstate::kInternalError);
  EXPECT_EQ(e.message(), Format("cache lookup failed for attribute 7 of relation %u", t.value()));
  transam::CommitTransaction();
}

TEST_F(ObjectAddressTest, TypesUseSqlNames) {
  transam::StartTransaction();
  EXPECT_EQ(Describe(catalog_oid::kPgType, Oid(23)), "type integer");
  EXPECT_EQ(FormatTypeName(Oid(21)), "smallint");
  EXPECT_EQ(FormatTypeName(Oid(20)), "bigint");
  EXPECT_EQ(FormatTypeName(Oid(16)), "boolean");
  EXPECT_EQ(FormatTypeName(Oid(700)), "real");
  EXPECT_EQ(FormatTypeName(Oid(701)), "double precision");
  EXPECT_EQ(FormatTypeName(Oid(1043)), "character varying");
  EXPECT_EQ(FormatTypeName(Oid(1042)), "character");
  EXPECT_EQ(FormatTypeName(Oid(1114)), "timestamp without time zone");
  EXPECT_EQ(FormatTypeName(Oid(1184)), "timestamp with time zone");
  EXPECT_EQ(FormatTypeName(Oid(25)), "text");
  EXPECT_EQ(FormatTypeName(Oid(19)), "name");
  EXPECT_EQ(FormatTypeName(Oid(18)), "\"char\"");
  EXPECT_EQ(FormatTypeName(Oid(1007)), "integer[]");
  EXPECT_EQ(FormatTypeName(Oid(1009)), "text[]");
  EXPECT_EQ(FormatTypeName(Oid(30)), "oidvector");  // element type, but not an array
  EXPECT_EQ(FormatTypeName(Oid(22)), "int2vector");
  const Oid s = CreateNs("s");
  const Oid mine = testing::InsertType("mytype", s);
  EXPECT_EQ(Describe(catalog_oid::kPgType, mine), "type s.mytype");
  settings::search_path = "s";
  EXPECT_EQ(Describe(catalog_oid::kPgType, mine), "type mytype");
  const Error e = ErrorOf([] { (void)FormatTypeName(Oid(999999)); });
  EXPECT_EQ(e.message(), "cache lookup failed for type 999999");
  transam::CommitTransaction();
}

TEST_F(ObjectAddressTest, FunctionsAndTheOtherClasses) {
  transam::StartTransaction();
  const Oid s = CreateNs("s");
  const Oid f = testing::InsertFunction("f", kPublic, {23, 25});
  EXPECT_EQ(Describe(catalog_oid::kPgProc, f), "function f(integer,text)");
  const Oid g = testing::InsertFunction("g", s, {});
  EXPECT_EQ(Describe(catalog_oid::kPgProc, g), "function s.g()");
  EXPECT_EQ(Describe(catalog_oid::kPgNamespace, s), "schema s");
  EXPECT_EQ(Describe(catalog_oid::kPgNamespace, Oid(kPgCatalogNamespace)), "schema pg_catalog");
  EXPECT_EQ(Describe(catalog_oid::kPgAuthid, testing::kSuperuser), "role alice");
  EXPECT_EQ(Describe(catalog_oid::kPgDatabase, kDb), "database postgres");
  EXPECT_EQ(Describe(catalog_oid::kPgTablespace, Oid(kDefaultTablespace)),
            "tablespace pg_default");
  EXPECT_EQ(Describe(catalog_oid::kPgAm, Oid(403)), "access method btree");
  EXPECT_EQ(Describe(catalog_oid::kPgCollation, Oid(kCCollation)), "collation \"C\"");
  EXPECT_EQ(Describe(catalog_oid::kPgCollation, Oid(kDefaultCollation)), "collation \"default\"");

  EXPECT_FALSE(GetObjectDescriptionIfExists(MakeObjectAddress(catalog_oid::kPgClass, Oid(999999)))
                   .has_value());
  Error e = ErrorOf([] { (void)Describe(catalog_oid::kPgClass, Oid(999999)); });
  EXPECT_EQ(e.message(), "cache lookup failed for relation 999999");
  e = ErrorOf([] { (void)Describe(catalog_oid::kPgNamespace, Oid(999999)); });
  EXPECT_EQ(e.message(), "cache lookup failed for namespace 999999");
  e = ErrorOf([] { (void)Describe(catalog_oid::kPgAuthid, Oid(999999)); });
  EXPECT_EQ(e.message(), "cache lookup failed for role 999999");
  e = ErrorOf([] { (void)Describe(catalog_oid::kPgStatistic, Oid(1)); });
  EXPECT_EQ(e.message(), "unrecognized object class: 2619");
  transam::CommitTransaction();
}

TEST_F(ObjectAddressTest, NamesResolveToAddressesUnderTheRequestedLock) {
  transam::StartTransaction();
  const Oid s = CreateNs("s");
  const Oid t = InsertRelation("t", s);
  testing::InsertAttribute(t, "c", 1);
  testing::InsertAttribute(t, "gone", 2, 23, /*dropped=*/true);
  const Oid i = InsertRelation("i", s, 'i');
  const Oid con = testing::InsertConstraint("t_check", s, t);
  const Oid f = testing::InsertFunction("f", s, {23});
  const Oid typ = testing::InsertType("mytype", s);
  const auto lock = storage::LockMode::kShareUpdateExclusive;
  const auto resolve = [&](ObjectType type, std::vector<std::string> names,
                           std::vector<Oid> args = {}) {
    return GetObjectAddress(type, ObjectName{std::move(names), std::move(args)}, lock, false);
  };

  ResolvedObject r = resolve(ObjectType::kTable, {"s", "t"});
  EXPECT_EQ(r.address, MakeObjectAddress(catalog_oid::kPgClass, t));
  EXPECT_EQ(r.relation, t);
  EXPECT_TRUE(storage::LockHeldByMe(storage::RelationLockTag(kDb.value(), t.value()), lock));
  EXPECT_EQ(resolve(ObjectType::kIndex, {"s", "i"}).address.objid, i);
  r = resolve(ObjectType::kColumn, {"s", "t", "c"});
  EXPECT_EQ(r.address, MakeObjectAddress(catalog_oid::kPgClass, t, 1));
  r = resolve(ObjectType::kTableConstraint, {"s", "t", "t_check"});
  EXPECT_EQ(r.address, MakeObjectAddress(catalog_oid::kPgConstraint, con));
  EXPECT_EQ(r.relation, t);
  r = resolve(ObjectType::kSchema, {"s"});
  EXPECT_EQ(r.address, MakeObjectAddress(catalog_oid::kPgNamespace, s));
  EXPECT_TRUE(storage::LockHeldByMe(
      storage::ObjectLockTag(kDb.value(), catalog_oid::kPgNamespace, s.value(), 0), lock));
  EXPECT_EQ(resolve(ObjectType::kFunction, {"s", "f"}, {Oid(23)}).address.objid, f);
  EXPECT_EQ(resolve(ObjectType::kType, {"s", "mytype"}).address.objid, typ);
  EXPECT_EQ(resolve(ObjectType::kType, {"int4"}).address.objid, Oid(23));
  r = resolve(ObjectType::kRole, {"alice"});
  EXPECT_EQ(r.address, MakeObjectAddress(catalog_oid::kPgAuthid, testing::kSuperuser));
  EXPECT_TRUE(storage::LockHeldByMe(  // shared objects lock with database 0
      storage::ObjectLockTag(0, catalog_oid::kPgAuthid, testing::kSuperuser.value(), 0), lock));
  EXPECT_EQ(resolve(ObjectType::kDatabase, {"postgres"}).address.objid, kDb);
  EXPECT_EQ(resolve(ObjectType::kTablespace, {"pg_global"}).address.objid,
            Oid(kGlobalTablespace));
  EXPECT_EQ(resolve(ObjectType::kAccessMethod, {"btree"}).address.objid, Oid(403));
  // Unqualified through the search path.
  settings::search_path = "s";
  EXPECT_EQ(resolve(ObjectType::kTable, {"t"}).address.objid, t);
  EXPECT_EQ(resolve(ObjectType::kFunction, {"f"}, {Oid(23)}).address.objid, f);
  // missing_ok: an invalid address, no error.
  EXPECT_FALSE(GetObjectAddress(ObjectType::kTable, ObjectName{{"nope"}, {}}, lock, true)
                   .address.IsValid());
  EXPECT_FALSE(GetObjectAddress(ObjectType::kSchema, ObjectName{{"nope"}, {}}, lock, true)
                   .address.IsValid());
  EXPECT_FALSE(GetObjectAddress(ObjectType::kColumn, ObjectName{{"t", "gone"}, {}}, lock, true)
                   .address.IsValid());
  transam::CommitTransaction();
}

TEST_F(ObjectAddressTest, UnresolvableNamesGivePostgresErrors) {
  transam::StartTransaction();
  const Oid s = CreateNs("s");
  const Oid t = InsertRelation("t", s);
  (void)InsertRelation("i", s, 'i');
  testing::InsertAttribute(t, "gone", 1, 23, /*dropped=*/true);
  const auto lock = storage::LockMode::kAccessShare;
  struct Case {
    ObjectType type;
    std::vector<std::string> names;
    std::vector<Oid> args;
    SqlState state;
    std::string message;
  };
  const Case cases[] = {
      {ObjectType::kTable, {"s", "nope"}, {}, sqlstate::kUndefinedTable,
       "relation \"s.nope\" does not exist"},
      {ObjectType::kTable, {"nope"}, {}, sqlstate::kUndefinedTable,
       "relation \"nope\" does not exist"},
      {ObjectType::kIndex, {"s", "t"}, {}, sqlstate::kWrongObjectType, "\"t\" is not an index"},
      {ObjectType::kTable, {"s", "i"}, {}, sqlstate::kWrongObjectType, "\"i\" is not a table"},
      {ObjectType::kSequence, {"s", "t"}, {}, sqlstate::kWrongObjectType,
       "\"t\" is not a sequence"},
      {ObjectType::kView, {"s", "t"}, {}, sqlstate::kWrongObjectType, "\"t\" is not a view"},
      {ObjectType::kColumn, {"s", "t", "gone"}, {}, sqlstate::kUndefinedColumn,
       "column \"gone\" of relation \"s.t\" does not exist"},
      {ObjectType::kColumn, {"t"}, {}, sqlstate::kSyntaxError, "column name must be qualified"},
      {ObjectType::kTableConstraint, {"s", "t", "nope"}, {}, sqlstate::kUndefinedObject,
       "constraint \"nope\" for table \"t\" does not exist"},
      {ObjectType::kSchema, {"nope"}, {}, sqlstate::kInvalidSchemaName,
       "schema \"nope\" does not exist"},
      {ObjectType::kSchema, {"a", "b"}, {}, sqlstate::kSyntaxError,
       "schema name cannot be qualified"},
      {ObjectType::kType, {"nope"}, {}, sqlstate::kUndefinedObject,
       "type \"nope\" does not exist"},
      {ObjectType::kType, {"nope", "t"}, {}, sqlstate::kInvalidSchemaName,
       "schema \"nope\" does not exist"},
      {ObjectType::kFunction, {"s", "f"}, {Oid(23), Oid(25)}, sqlstate::kUndefinedFunction,
       "function s.f(integer, text) does not exist"},
      {ObjectType::kRole, {"nope"}, {}, sqlstate::kUndefinedObject,
       "role \"nope\" does not exist"},
      {ObjectType::kDatabase, {"nope"}, {}, sqlstate::kInvalidCatalogName,
       "database \"nope\" does not exist"},
      {ObjectType::kTablespace, {"nope"}, {}, sqlstate::kUndefinedObject,
       "tablespace \"nope\" does not exist"},
      {ObjectType::kAccessMethod, {"nope"}, {}, sqlstate::kUndefinedObject,
       "access method \"nope\" does not exist"},
      {ObjectType::kTable, {"otherdb", "s", "t"}, {}, sqlstate::kFeatureNotSupported,
       "cross-database references are not implemented: \"otherdb.s.t\""},
      {ObjectType::kType, {"a", "b", "c", "d"}, {}, sqlstate::kSyntaxError,
       "improper qualified name (too many dotted names): a.b.c.d"},
  };
  for (const Case& c : cases) {
    const Error e = ErrorOf([&] {
      (void)GetObjectAddress(c.type, ObjectName{c.names, c.args}, lock, false);
    });
    EXPECT_EQ(e.sqlstate(), c.state) << c.message;
    EXPECT_EQ(e.message(), c.message);
  }
  transam::CommitTransaction();
}

TEST_F(ObjectAddressTest, OwnershipChecksFollowPostgres) {
  transam::StartTransaction();
  const Oid bob = testing::InsertRole("bob");
  const Oid carol = testing::InsertRole("carol", false, /*createrole=*/true);
  const Oid admins = testing::InsertRole("admins");
  testing::GrantRole(admins, carol);  // carol is a member of admins
  const Oid s = CreateNs("s", admins);
  const Oid t = InsertRelation("t", s, 'r', admins);
  const Oid i = InsertRelation("i", s, 'i', admins);
  testing::InsertAttribute(t, "c", 1);
  const auto address = [](uint32_t classid, Oid oid, int32_t sub = 0) {
    return MakeObjectAddress(classid, oid, sub);
  };
  const ObjectName schema_name{{"s"}, {}};
  // Superusers and members of the owner pass.
  CheckObjectOwnership(testing::kSuperuser, ObjectType::kSchema,
                       address(catalog_oid::kPgNamespace, s), schema_name);
  CheckObjectOwnership(carol, ObjectType::kSchema, address(catalog_oid::kPgNamespace, s),
                       schema_name);
  CheckObjectOwnership(admins, ObjectType::kColumn, address(catalog_oid::kPgClass, t, 1),
                       ObjectName{{"s", "t", "c"}, {}});
  EXPECT_TRUE(IsMemberOfRole(carol, admins));
  EXPECT_FALSE(IsMemberOfRole(admins, carol));
  EXPECT_TRUE(IsMemberOfRole(testing::kSuperuser, bob));
  EXPECT_FALSE(IsMemberOfRole(bob, admins));

  Error e = ErrorOf([&] {
    CheckObjectOwnership(bob, ObjectType::kSchema, address(catalog_oid::kPgNamespace, s),
                         schema_name);
  });
  EXPECT_EQ(e.sqlstate(), sqlstate::kInsufficientPrivilege);
  EXPECT_EQ(e.message(), "must be owner of schema s");
  e = ErrorOf([&] {
    CheckObjectOwnership(bob, ObjectType::kColumn, address(catalog_oid::kPgClass, t, 1),
                         ObjectName{{"s", "t", "c"}, {}});
  });
  EXPECT_EQ(e.message(), "must be owner of table t");
  e = ErrorOf([&] {
    CheckObjectOwnership(bob, ObjectType::kIndex, address(catalog_oid::kPgClass, i),
                         ObjectName{{"s", "i"}, {}});
  });
  EXPECT_EQ(e.message(), "must be owner of index i");
  e = ErrorOf([&] {
    CheckObjectOwnership(bob, ObjectType::kDatabase, address(catalog_oid::kPgDatabase, kDb),
                         ObjectName{{"postgres"}, {}});
  });
  EXPECT_EQ(e.message(), "must be owner of database postgres");
  e = ErrorOf([&] {
    CheckObjectOwnership(bob, ObjectType::kType, address(catalog_oid::kPgType, Oid(23)),
                         ObjectName{{"int4"}, {}});
  });
  EXPECT_EQ(e.message(), "must be owner of type integer");
  // Roles: CREATEROLE "owns" ordinary roles; superuser roles only superusers.
  CheckObjectOwnership(carol, ObjectType::kRole, address(catalog_oid::kPgAuthid, bob),
                       ObjectName{{"bob"}, {}});
  e = ErrorOf([&] {
    CheckObjectOwnership(bob, ObjectType::kRole, address(catalog_oid::kPgAuthid, carol),
                         ObjectName{{"carol"}, {}});
  });
  EXPECT_EQ(e.message(), "must have CREATEROLE privilege");
  e = ErrorOf([&] {
    CheckObjectOwnership(carol, ObjectType::kRole,
                         address(catalog_oid::kPgAuthid, testing::kSuperuser),
                         ObjectName{{"alice"}, {}});
  });
  EXPECT_EQ(e.message(), "must be superuser");
  e = ErrorOf([&] {
    CheckObjectOwnership(carol, ObjectType::kAccessMethod, address(catalog_oid::kPgAm, Oid(403)),
                         ObjectName{{"btree"}, {}});
  });
  EXPECT_EQ(e.message(), "must be superuser");
  e = ErrorOf([&] { CheckIsMemberOfRole(bob, admins); });
  EXPECT_EQ(e.message(), "must be member of role \"admins\"");
  transam::CommitTransaction();
}

}  // namespace
}  // namespace keel::catalog
