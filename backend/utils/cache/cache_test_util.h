// Test-only helpers of the catalog-row and relation cache tests: a bootstrapped database in a
// ServerHarness with this process connected to it, flags shared with forked backends, and
// catalog row edits. Not part of any library; README.md ("Tests").
#pragma once

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <optional>
#include <string>

#include "access/transam/xact.h"
#include "backend/catalog/bootstrap.h"
#include "backend/catalog/catalog_test_util.h"
#include "backend/catalog/catalog_defs.h"
#include "backend/catalog/catalog_lookup.h"
#include "backend/catalog/catalog_relation.h"
#include "backend/catalog/catalog_values.h"
#include "backend/catalog/catalog_write.h"
#include "backend/utils/cache/inval.h"
#include "backend/utils/cache/relcache.h"
#include "backend/utils/cache/syscache.h"
#include "backend/utils/init/session_globals.h"
#include "storage/ipc/fork_test_util.h"
#include "tests/server/server_harness.h"

namespace keel::cache::testing {

inline constexpr Oid kDb{keel::testing::kTestDb};

// Shared with forked backends (MAP_SHARED): step counters for scripted interleavings.
struct Flags {
  std::atomic<int> a_step;
  std::atomic<int> b_step;
};

inline Flags* MapFlags() {
  void* p = mmap(nullptr, sizeof(Flags), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) std::abort();
  return new (p) Flags{};
}

// Waits (generously: 30 s) until `flag` reaches `value`.
inline bool WaitFor(const std::atomic<int>& flag, int value) {
  return storage::testing::WaitUntil([&] { return flag.load() >= value; });
}

// A fresh cluster with the catalogs bootstrapped, this process connected to kDb with empty
// caches (each test binary runs many harnesses in one process: the caches must forget the
// previous one's rows).
class CacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    (void)catalog::testing::BootstrapTestDatabase();
    SetMyDatabase(kDb, Oid(catalog::kDefaultTablespace));
    SetInvalidationDatabase(kDb);
    (void)AcceptInvalidationMessages();  // attaches this reader (a reset)
    SysCacheResetAll();
    RelationCacheInvalidateAll();
  }
  // A failed assertion may leave a transaction open: the next test starts clean.
  void TearDown() override {
    if (transam::IsTransactionActive()) transam::AbortTransaction();
  }

  keel::testing::ServerHarness harness_;
};

inline const catalog::CatalogRelation& Cat(uint32_t oid) { return catalog::OpenCatalog(oid, kDb); }

// The tid of the row of `catalog` with this oid, under a fresh snapshot.
inline storage::ItemPointer TidOf(uint32_t catalog_oid, uint32_t oid) {
  std::optional<access::HeapTuple> row =
      catalog::CatalogLookupByOid(Cat(catalog_oid), Oid(oid), transam::GetLatestSnapshot());
  if (!row) throw std::runtime_error("no row with oid " + std::to_string(oid));
  return row->self;
}

// Renames the pg_namespace row `oid` (CatalogUpdate). Requires: an active transaction.
inline void RenameNamespace(uint32_t oid, const std::string& name) {
  const catalog::CatalogRelation& ns = Cat(catalog::catalog_oid::kPgNamespace);
  std::optional<access::HeapTuple> row =
      catalog::CatalogLookupByOid(ns, Oid(oid), transam::GetLatestSnapshot());
  if (!row) throw std::runtime_error("no namespace " + std::to_string(oid));
  catalog::CatalogRowBuilder b(*ns.def, ns.desc);
  b.From(*row).Name("nspname", name);
  (void)catalog::CatalogUpdate(ns, row->self, b);
}

// Inserts a pg_namespace row. Requires: an active transaction.
inline storage::ItemPointer InsertNamespace(uint32_t oid, const std::string& name) {
  const catalog::CatalogRelation& ns = Cat(catalog::catalog_oid::kPgNamespace);
  catalog::CatalogRowBuilder b(*ns.def, ns.desc);
  b.Oid("oid", oid).Name("nspname", name).Oid("nspowner", catalog::kBootstrapSuperuser);
  return catalog::CatalogInsert(ns, b);
}

// The name of namespace `oid` through the cache ("" when none).
inline std::string CachedNamespaceName(uint32_t oid) {
  const SysCacheTuple t = SearchSysCache(SysCacheId::kNamespaceOid, Oid(oid));
  return t ? t.GetName("nspname") : "";
}

}  // namespace keel::cache::testing
