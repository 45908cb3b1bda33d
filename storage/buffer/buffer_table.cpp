// The partitioned buffer mapping hash table in shared memory. See buffer_table_internal.h and
// storage/buffer/README.md (B4).
#include "storage/buffer/buffer_table_internal.h"

#include <new>
#include <type_traits>

#include "backend/utils/error/error.h"
#include "storage/buffer/buffer_internal.h"
#include "storage/ipc/shmem.h"
#include "storage/lmgr/spinlock.h"

namespace keel::storage::bufpool {
namespace {

struct TableEntry {
  BufferTag tag;   // guarded by the partition lock of its hash
  int32_t buf_id;  // guarded by the partition lock of its hash
  int32_t next;    // chain (partition lock) or free list (free_lock); -1 ends
};

struct TableHeader {
  int32_t n_entries;  // constant after set-up
  int32_t n_buckets;  // power of two, >= kBufferPartitions; constant
  SpinLock free_lock;
  int32_t free_head;  // guarded by free_lock
  int32_t in_use;     // guarded by free_lock
};
static_assert(std::is_standard_layout_v<TableHeader> &&
              std::is_trivially_destructible_v<TableHeader>);
static_assert(std::is_trivially_destructible_v<TableEntry>);

// Process-local pointers into the region.
TableHeader* header = nullptr;
PaddedLwLock* partition_locks = nullptr;
int32_t* buckets = nullptr;  // head entry of each chain, -1 empty; partition lock
TableEntry* entries = nullptr;

int BucketsFor(int n_entries) {
  int n = kBufferPartitions;
  while (n < n_entries) n *= 2;
  return n;
}

size_t AlignUp(size_t n) { return (n + 63) & ~size_t{63}; }

uint64_t Mix64(uint64_t h) {  // murmur3's finaliser: every input bit affects every output bit
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

}  // namespace

size_t BufferTableShmemSize(int n_entries) {
  const size_t n_buckets = static_cast<size_t>(BucketsFor(n_entries));
  size_t size = AlignUp(sizeof(TableHeader));
  size = AddSize(size, MulSize(kBufferPartitions, sizeof(PaddedLwLock)));
  size = AddSize(size, AlignUp(MulSize(n_buckets, sizeof(int32_t))));
  size = AddSize(size, MulSize(static_cast<size_t>(n_entries), sizeof(TableEntry)));
  return size;
}

void BufferTableShmemInit(int n_entries) {
  bool found = false;
  auto* base = static_cast<std::byte*>(
      ShmemInitStruct("Buffer Mapping Table", BufferTableShmemSize(n_entries), &found));
  const int n_buckets = BucketsFor(n_entries);
  header = reinterpret_cast<TableHeader*>(base);
  base += AlignUp(sizeof(TableHeader));
  partition_locks = reinterpret_cast<PaddedLwLock*>(base);
  base += kBufferPartitions * sizeof(PaddedLwLock);
  buckets = reinterpret_cast<int32_t*>(base);
  base += AlignUp(static_cast<size_t>(n_buckets) * sizeof(int32_t));
  entries = reinterpret_cast<TableEntry*>(base);
  if (found) return;

  header->n_entries = n_entries;
  header->n_buckets = n_buckets;
  header->free_lock.Init();
  header->in_use = 0;
  for (int i = 0; i < kBufferPartitions; ++i) {
    partition_locks[i].lock.Init(lwtranche::kBufferMapping);
  }
  for (int i = 0; i < n_buckets; ++i) buckets[i] = -1;
  for (int i = 0; i < n_entries; ++i) {
    new (&entries[i]) TableEntry{BufferTag{}, -1, i + 1 < n_entries ? i + 1 : -1};
  }
  header->free_head = n_entries > 0 ? 0 : -1;
}

uint32_t BufferTagHash(const BufferTag& tag) {
  const uint64_t a = (static_cast<uint64_t>(tag.rel.rel.value()) << 32) | tag.block.value();
  const uint64_t b = (static_cast<uint64_t>(tag.rel.db.value()) << 32) |
                     (tag.rel.spc.value() ^ (static_cast<uint32_t>(tag.fork) << 28));
  return static_cast<uint32_t>(Mix64(a ^ Mix64(b)));
}

LwLock* BufferPartitionLock(uint32_t hash) {
  return &partition_locks[hash & (kBufferPartitions - 1)].lock;
}

int BufferTableLookup(const BufferTag& tag, uint32_t hash) {
  KEEL_ASSERT(BufferPartitionLock(hash)->HeldByMe());
  for (int32_t e = buckets[hash & (header->n_buckets - 1)]; e >= 0; e = entries[e].next) {
    if (entries[e].tag == tag) return entries[e].buf_id;
  }
  return -1;
}

int BufferTableInsert(const BufferTag& tag, uint32_t hash, int buf_id) {
  KEEL_ASSERT(BufferPartitionLock(hash)->HeldByMeInMode(LwLockMode::kExclusive));
  int32_t* bucket = &buckets[hash & (header->n_buckets - 1)];
  for (int32_t e = *bucket; e >= 0; e = entries[e].next) {
    if (entries[e].tag == tag) return entries[e].buf_id;
  }
  int32_t e;
  {
    SpinLockGuard guard(&header->free_lock);
    e = header->free_head;
    if (e >= 0) {
      header->free_head = entries[e].next;
      ++header->in_use;
    }
  }
  if (e < 0) Panic("out of buffer mapping table entries");
  entries[e].tag = tag;
  entries[e].buf_id = buf_id;
  entries[e].next = *bucket;
  *bucket = e;
  return -1;
}

void BufferTableDelete(const BufferTag& tag, uint32_t hash) {
  KEEL_ASSERT(BufferPartitionLock(hash)->HeldByMeInMode(LwLockMode::kExclusive));
  int32_t* link = &buckets[hash & (header->n_buckets - 1)];
  while (*link >= 0 && !(entries[*link].tag == tag)) link = &entries[*link].next;
  if (*link < 0) Panic("buffer mapping table is corrupted: entry to delete not found");
  const int32_t e = *link;
  *link = entries[e].next;
  SpinLockGuard guard(&header->free_lock);
  entries[e].next = header->free_head;
  header->free_head = e;
  --header->in_use;
}

int BufferTableEntriesInUse() {
  SpinLockGuard guard(&header->free_lock);
  return header->in_use;
}

}  // namespace keel::storage::bufpool
