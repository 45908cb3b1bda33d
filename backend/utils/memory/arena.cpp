// Arena blocks and bump allocation; see arena.h and README.md here.
#include "backend/utils/memory/arena.h"

#include <new>

#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"

namespace keel {

// Header at the start of every block; the usable bytes follow it.
struct Arena::Block {
  Block* next;        // the next newer block, null for the newest
  size_t size_bytes;  // whole block, header included
};

namespace {

constexpr size_t kHeaderBytes =
    (sizeof(void*) + sizeof(size_t) + alignof(std::max_align_t) - 1) &
    ~(alignof(std::max_align_t) - 1);
static_assert(kHeaderBytes >= 2 * sizeof(void*));

unsigned char* AlignUp(unsigned char* p, size_t alignment) {
  auto v = reinterpret_cast<uintptr_t>(p);
  v = (v + alignment - 1) & ~(static_cast<uintptr_t>(alignment) - 1);
  return reinterpret_cast<unsigned char*>(v);
}

// Blocks double in size up to kMaxBlockBytes; a first block already larger stays as it is.
size_t GrowBlockBytes(size_t size) {
  if (size >= Arena::kMaxBlockBytes) return size;
  return size * 2 > Arena::kMaxBlockBytes ? Arena::kMaxBlockBytes : size * 2;
}

}  // namespace

Arena::Arena(const char* name, size_t first_block_bytes, std::pmr::memory_resource* upstream)
    : name_(name),
      upstream_(upstream),
      first_block_bytes_(first_block_bytes < 2 * kHeaderBytes ? 2 * kHeaderBytes
                                                              : first_block_bytes),
      next_block_bytes_(first_block_bytes_) {}

Arena::~Arena() { Release(); }

void* Arena::do_allocate(size_t bytes, size_t alignment) {
  KEEL_ASSERT(alignment != 0 && (alignment & (alignment - 1)) == 0);
  if (bytes == 0) bytes = 1;  // distinct addresses for distinct requests
  if (!Fits(bytes, alignment)) AddBlock(bytes, alignment);
  unsigned char* p = AlignUp(cursor_, alignment);
  cursor_ = p + bytes;
  bytes_allocated_ += bytes;
  return p;
}

bool Arena::Fits(size_t bytes, size_t alignment) const {
  if (cursor_ == nullptr) return false;
  uintptr_t start = (reinterpret_cast<uintptr_t>(cursor_) + alignment - 1) &
                    ~(static_cast<uintptr_t>(alignment) - 1);
  uintptr_t end = reinterpret_cast<uintptr_t>(end_);
  return start <= end && end - start >= bytes;
}

void Arena::AddBlock(size_t bytes, size_t alignment) {
  // Worst case the aligned start is alignment-1 bytes past the header (M4).
  size_t extra = alignment > alignof(std::max_align_t) ? alignment - 1 : 0;
  if (bytes > SIZE_MAX / 2 - kHeaderBytes - extra) {
    throw Error(sqlstate::kOutOfMemory, "out of memory")
        .WithDetail(Format("Failed on request of size %zu in memory context \"%s\".", bytes,
                           name_));
  }
  size_t need = kHeaderBytes + bytes + extra;
  size_t size = next_block_bytes_;
  if (size < need) size = need;
  void* raw = nullptr;
  try {
    raw = upstream_->allocate(size, alignof(std::max_align_t));
  } catch (const std::bad_alloc&) {
    throw Error(sqlstate::kOutOfMemory, "out of memory")
        .WithDetail(Format("Failed on request of size %zu in memory context \"%s\".", bytes,
                           name_));
  }
  Block* block = ::new (raw) Block{nullptr, size};
  if (current_ != nullptr) {
    current_->next = block;
  } else {
    first_ = block;
  }
  current_ = block;
  cursor_ = static_cast<unsigned char*>(raw) + kHeaderBytes;
  end_ = static_cast<unsigned char*>(raw) + size;
  bytes_reserved_ += size;
  ++block_count_;
  next_block_bytes_ = GrowBlockBytes(next_block_bytes_);
}

void Arena::FreeBlocksAfterFirst() {
  if (first_ == nullptr) return;
  Block* b = first_->next;
  while (b != nullptr) {
    Block* next = b->next;
    bytes_reserved_ -= b->size_bytes;
    --block_count_;
    upstream_->deallocate(b, b->size_bytes, alignof(std::max_align_t));
    b = next;
  }
  first_->next = nullptr;
}

void Arena::Reset() {
  FreeBlocksAfterFirst();
  // M2: keep the first block, but only at its ordinary size; a first block that was made
  // oversized by one big request goes back upstream.
  if (first_ == nullptr || first_->size_bytes > first_block_bytes_) {
    Release();
    return;
  }
  bytes_allocated_ = 0;
  next_block_bytes_ = GrowBlockBytes(first_block_bytes_);
  current_ = first_;
  cursor_ = reinterpret_cast<unsigned char*>(first_) + kHeaderBytes;
  end_ = reinterpret_cast<unsigned char*>(first_) + first_->size_bytes;
}

void Arena::Release() {
  FreeBlocksAfterFirst();
  if (first_ != nullptr) {
    bytes_reserved_ -= first_->size_bytes;
    --block_count_;
    upstream_->deallocate(first_, first_->size_bytes, alignof(std::max_align_t));
  }
  first_ = current_ = nullptr;
  cursor_ = end_ = nullptr;
  bytes_allocated_ = 0;
  next_block_bytes_ = first_block_bytes_;
}

}  // namespace keel
