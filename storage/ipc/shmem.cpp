// Region creation and the named-structure allocator. See storage/ipc/README.md (M1-M6).
#include "storage/ipc/shmem.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "storage/lmgr/spinlock.h"

namespace keel::storage {
namespace {

constexpr uint64_t kShmemMagic = 0x4b45454c53484d31;  // "KEELSHM1"

struct ShmemIndexEntry {
  char name[kShmemMaxNameBytes];  // NUL-terminated; written once, before num_entries covers it
  uint64_t offset;                // from the region start; kShmemAlignment-aligned
  uint64_t size_bytes;            // as requested
};

// At offset 0 of the region (M1).
struct ShmemHeader {
  uint64_t magic;         // constant after ShmemCreate
  uint64_t mapped_bytes;  // constant after ShmemCreate
  SpinLock lock;          // guards everything below
  int32_t num_entries;
  uint64_t free_offset;  // first unallocated byte; only grows (M4)
  ShmemIndexEntry entries[kShmemMaxStructs];
};
static_assert(std::is_standard_layout_v<ShmemHeader> &&
              std::is_trivially_destructible_v<ShmemHeader>);

// Process-local; set by ShmemCreate before any fork, so every child inherits them (M1).
ShmemHeader* region = nullptr;
size_t region_bytes = 0;

[[nodiscard]] constexpr size_t AlignUp(size_t value, size_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

[[noreturn]] void ThrowOverflow() {
  throw keel::Error(keel::sqlstate::kProgramLimitExceeded,
                    "requested shared memory size overflows size_t");
}

}  // namespace

size_t AddSize(size_t a, size_t b) {
  size_t sum;
  if (__builtin_add_overflow(a, b, &sum)) ThrowOverflow();
  return sum;
}

size_t MulSize(size_t a, size_t b) {
  size_t product;
  if (__builtin_mul_overflow(a, b, &product)) ThrowOverflow();
  return product;
}

void ShmemCreate(size_t size_bytes) {
  KEEL_ASSERT(region == nullptr);
  const size_t page_bytes = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  // Header, worst-case padding of every structure to kShmemAlignment, then whole pages.
  size_t total = AddSize(AlignUp(sizeof(ShmemHeader), kShmemAlignment), size_bytes);
  total = AddSize(total, MulSize(kShmemMaxStructs, kShmemAlignment));
  total = AddSize(total, page_bytes - 1) / page_bytes * page_bytes;

  // M1: MAP_SHARED so that fork() shares rather than copies it; anonymous memory is zeroed.
  void* base = mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) {
    const int saved_errno = errno;
    throw keel::FatalError(keel::sqlstate::kOutOfMemory,
                           "could not map anonymous shared memory: " + keel::ErrnoText(saved_errno))
        .WithHint(keel::Format(
            "This error usually means that Keel's request for a shared memory segment "
            "exceeded available memory, swap space, or huge pages. To reduce the request size "
            "(currently %zu bytes), reduce Keel's shared memory usage, perhaps by reducing "
            "shared_buffers or max_connections.",
            total));
  }
  auto* header = static_cast<ShmemHeader*>(base);
  header->magic = kShmemMagic;
  header->mapped_bytes = total;
  header->lock.Init();
  header->num_entries = 0;
  header->free_offset = AlignUp(sizeof(ShmemHeader), kShmemAlignment);
  region = header;
  region_bytes = total;
}

void ShmemDestroy() {
  if (region == nullptr) return;
  munmap(region, region_bytes);
  region = nullptr;
  region_bytes = 0;
}

bool ShmemIsCreated() { return region != nullptr; }

void* ShmemInitStruct(const char* name, size_t size_bytes, bool* found) {
  KEEL_ASSERT(region != nullptr && region->magic == kShmemMagic);
  const size_t name_len = strnlen(name, kShmemMaxNameBytes);
  if (name_len == 0 || name_len >= kShmemMaxNameBytes) {
    throw keel::Error(keel::sqlstate::kInternalError,
                      keel::Format("invalid shared memory structure name \"%.*s\"",
                                   static_cast<int>(name_len), name));
  }
  // Everything that can fail is decided under the spinlock, thrown after releasing it (S1).
  enum class Outcome : uint8_t { kFound, kAllocated, kWrongSize, kIndexFull, kNoSpace };
  Outcome outcome;
  uint64_t offset = 0;
  uint64_t existing_size = 0;
  {
    SpinLockGuard guard(&region->lock);  // M3
    int idx = 0;
    while (idx < region->num_entries && strcmp(region->entries[idx].name, name) != 0) ++idx;
    if (idx < region->num_entries) {
      offset = region->entries[idx].offset;
      existing_size = region->entries[idx].size_bytes;
      outcome = existing_size == size_bytes ? Outcome::kFound : Outcome::kWrongSize;
    } else if (region->num_entries == kShmemMaxStructs) {
      outcome = Outcome::kIndexFull;
    } else {
      const uint64_t start = AlignUp(region->free_offset, kShmemAlignment);
      if (start > region->mapped_bytes || size_bytes > region->mapped_bytes - start) {
        outcome = Outcome::kNoSpace;
      } else {
        ShmemIndexEntry& entry = region->entries[region->num_entries];
        memcpy(entry.name, name, name_len + 1);
        entry.offset = start;
        entry.size_bytes = size_bytes;
        ++region->num_entries;
        region->free_offset = start + size_bytes;  // M4
        offset = start;
        outcome = Outcome::kAllocated;
      }
    }
  }
  switch (outcome) {
    case Outcome::kFound:
    case Outcome::kAllocated:
      break;
    case Outcome::kWrongSize:
      throw keel::Error(keel::sqlstate::kInternalError,
                        keel::Format("ShmemIndex entry size is wrong for data structure \"%s\": "
                                     "expected %zu, actual %zu",
                                     name, size_bytes, static_cast<size_t>(existing_size)));
    case Outcome::kIndexFull:
      throw keel::Error(keel::sqlstate::kOutOfMemory,
                        keel::Format("could not create ShmemIndex entry for data structure \"%s\"",
                                     name));
    case Outcome::kNoSpace:
      throw keel::Error(keel::sqlstate::kOutOfMemory,
                        keel::Format("not enough shared memory for data structure \"%s\" "
                                     "(%zu bytes requested)",
                                     name, size_bytes));
  }
  *found = outcome == Outcome::kFound;
  // M2: the memory of a new structure is still zero (anonymous mapping, never reused).
  return reinterpret_cast<char*>(region) + offset;
}

size_t ShmemBytesFree() {
  KEEL_ASSERT(region != nullptr);
  SpinLockGuard guard(&region->lock);
  return region->free_offset >= region->mapped_bytes
             ? 0
             : static_cast<size_t>(region->mapped_bytes - region->free_offset);
}

void* ShmemBase() { return region; }

size_t ShmemMappedBytes() { return region_bytes; }

bool ShmemAddrIsValid(const void* ptr) {
  if (region == nullptr) return false;
  const auto addr = reinterpret_cast<uintptr_t>(ptr);
  const auto base = reinterpret_cast<uintptr_t>(region);
  return addr >= base && addr < base + region_bytes;
}

}  // namespace keel::storage
