// Transactional cache invalidation: catalog changes register invalidation messages in the
// current (sub)transaction; they take effect locally at CommandCounterIncrement, go to every
// other backend through the shared queue at commit, and are undone locally at abort. Backend
// caches register their callbacks here. Invariants V1-V9: backend/utils/cache/README.md.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "storage/common/ids.h"
#include "storage/ipc/sinval.h"
#include "storage/lmgr/lock.h"

namespace keel::cache {

// --- senders: register a message in the current (sub)transaction (V1) ------------------------
// Requires: a transaction is active (XX000 "cannot register cache invalidation outside a
// transaction" otherwise). Duplicates within a (sub)transaction are kept once.

// Relation descriptor `rel` of database `db` (db 0: a shared catalog's relation).
void CacheInvalidateRelcache(Oid db, Oid rel);
// Every relation descriptor, in every database.
void CacheInvalidateRelcacheAll();
// One catalog-row cache entry: cache `cache_id` (0..kSInvalMaxCacheId), key hash `hash_value`.
void CacheInvalidateCatalogRow(int cache_id, uint32_t hash_value, Oid db);
// Every cached row of catalog `catalog` (by the catalog's pg_class oid).
void CacheInvalidateCatalog(Oid catalog, Oid db);
// The open files of a relation file locator (other backends close their descriptors).
void CacheInvalidateSmgr(const RelFileLocator& locator);
// Any message (the senders above build one each).
void RegisterInvalidationMessage(const storage::SharedInvalidationMessage& msg);

// --- receivers: process-local callbacks, registered once at process start (V6) --------------
// Callbacks run in registration order, never with the queue lock held. They must not throw
// (they drop cache entries; rebuilding is lazy); a throw from a shared message makes this
// backend reset its caches at its next AcceptInvalidationMessages.

// fn(hash_value, all_rows) for messages of cache `cache_id`; all_rows after a reset.
void CacheRegisterCatalogRowCallback(int cache_id,
                                     std::function<void(uint32_t hash_value, bool all_rows)> fn);
// fn(rel) for relcache messages; rel == kInvalidOid means every relation.
void CacheRegisterRelcacheCallback(std::function<void(Oid rel)> fn);
// fn(catalog) for whole-catalog messages.
void CacheRegisterCatalogCallback(std::function<void(Oid catalog)> fn);
// fn(locator) for smgr messages.
void CacheRegisterSmgrCallback(std::function<void(const RelFileLocator& locator)> fn);
// fn(catalog) for catalog-snapshot messages.
void CacheRegisterSnapshotCallback(std::function<void(Oid catalog)> fn);
// fn() after a queue reset (V5): everything cached may be stale. Row and relcache callbacks
// are called with "all" right after the reset callbacks.
void CacheRegisterResetCallback(std::function<void()> fn);

// The database this backend is connected to (V7): messages of other databases are skipped;
// kInvalidOid (the default) applies every message.
void SetInvalidationDatabase(Oid db);

// Reads and applies every message other backends (and this one, V4) committed since the last
// call; a reset of this reader runs the reset callbacks once. Cheap when nothing is new.
// Call at the start of each command and right after acquiring a heavyweight lock on a
// relation (LockRelationOid does). Safe outside a transaction. Returns messages applied.
int AcceptInvalidationMessages();

// PostgreSQL's LockRelationOid: takes `mode` on relation (db, rel) and, when this
// transaction did not hold that lock already, accepts invalidations (V8) so that what it
// reads from caches about the relation is at least as new as the last committed change by
// whoever held a conflicting lock before. Throws what storage::LockAcquire throws.
[[nodiscard]] storage::LockResult LockRelationOid(Oid db, Oid rel, storage::LockMode mode,
                                                  bool dont_wait = false);

// Messages registered in the current transaction (all levels), for tests and diagnostics.
[[nodiscard]] int PendingInvalidationCount();
// The same messages, outermost level first, each level's applied ones (earlier commands) before
// the current command's, in registration order.
[[nodiscard]] std::vector<storage::SharedInvalidationMessage> PendingInvalidationMessages();

}  // namespace keel::cache
