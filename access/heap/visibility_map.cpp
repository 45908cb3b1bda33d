// The visibility map over the _vm fork: one bit per heap page, set by VACUUM with a WAL record,
// cleared by any change to the page. README.md ("Visibility map", V1-V6).
#include "access/heap/visibility_map.h"

#include <atomic>
#include <bit>

#include "access/heap/heap_wal.h"
#include "access/transam/wal_record.h"
#include "access/transam/wal_xlog.h"
#include "backend/utils/error/error.h"
#include "storage/page/page.h"
#include "storage/smgr/smgr.h"

namespace keel::access {
namespace {

using storage::Buffer;
using storage::BufferLockMode;
using storage::kInvalidBuffer;

// V1: a map page is a standard page header followed by the bitmap, bit i of byte j standing
// for heap block page_index * kHeapBlocksPerMapPage + 8 j + i.
constexpr size_t kMapOffset = sizeof(storage::PageHeader);
constexpr size_t kMapBytes = kBlockSize - kMapOffset;
constexpr uint32_t kHeapBlocksPerMapPage = static_cast<uint32_t>(kMapBytes * 8);

BlockNumber MapBlockOf(BlockNumber heap_block) {
  return BlockNumber(heap_block.value() / kHeapBlocksPerMapPage);
}
uint32_t MapByteOf(BlockNumber heap_block) {
  return (heap_block.value() % kHeapBlocksPerMapPage) / 8;
}
uint8_t MapBitOf(BlockNumber heap_block) {
  return static_cast<uint8_t>(1u << (heap_block.value() % 8));
}

// V4: map bytes are read without a content lock (a stale answer is allowed) while a holder
// of the exclusive lock changes them: atomic byte accesses keep that race benign.
std::atomic_ref<uint8_t> MapByte(storage::Page page, BlockNumber heap_block) {
  return std::atomic_ref<uint8_t>(
      *reinterpret_cast<uint8_t*>(page + kMapOffset + MapByteOf(heap_block)));
}

void ExtendMap(const RelFileLocator& rel, BlockNumber want_blocks) {
  // An extra zero page from racing extenders is harmless (V2).
  while (storage::SmgrNBlocks(rel, ForkNumber::kVisibilityMap) < want_blocks) {
    const auto [buffer, block] = storage::ExtendBuffer(rel, ForkNumber::kVisibilityMap);
    (void)block;
    storage::UnlockBuffer(buffer);
    storage::ReleaseBuffer(buffer);
  }
}

// The map page `map_block`, pinned, or kInvalidBuffer when it does not exist and !extend.
// V2: a zero page (extended but never written, or corrupt and zeroed) reads as "no bit set"
// and is initialised in the buffer.
Buffer ReadMapPage(const RelFileLocator& rel, BlockNumber map_block, bool extend) {
  if (!storage::SmgrExists(rel, ForkNumber::kVisibilityMap)) {
    if (!extend) return kInvalidBuffer;
    storage::SmgrCreate(rel, ForkNumber::kVisibilityMap, /*is_redo=*/true);
  }
  if (storage::SmgrNBlocks(rel, ForkNumber::kVisibilityMap) <= map_block) {
    if (!extend) return kInvalidBuffer;
    ExtendMap(rel, BlockNumber(map_block.value() + 1));
  }
  const Buffer buffer = storage::ReadBuffer(rel, ForkNumber::kVisibilityMap, map_block,
                                            storage::ReadMode::kZeroOnError);
  if (storage::PageIsNew(storage::BufferGetPage(buffer))) {
    storage::LockBuffer(buffer, BufferLockMode::kExclusive);
    if (storage::PageIsNew(storage::BufferGetPage(buffer))) {
      storage::PageInit(storage::BufferGetPage(buffer), 0);
    }
    storage::UnlockBuffer(buffer);
  }
  return buffer;
}

bool IsMapPageFor(Buffer vm_buffer, const RelFileLocator& rel, BlockNumber heap_block) {
  if (vm_buffer == kInvalidBuffer) return false;
  const storage::BufferTag tag = storage::BufferGetTag(vm_buffer);
  return tag.rel == rel && tag.fork == ForkNumber::kVisibilityMap &&
         tag.block == MapBlockOf(heap_block);
}

}  // namespace

void VisibilityMapPin(const Relation& rel, BlockNumber heap_block, storage::Buffer* vm_buffer) {
  if (IsMapPageFor(*vm_buffer, rel.locator, heap_block)) return;
  if (*vm_buffer != kInvalidBuffer) {
    storage::ReleaseBuffer(*vm_buffer);
    *vm_buffer = kInvalidBuffer;
  }
  *vm_buffer = ReadMapPage(rel.locator, MapBlockOf(heap_block), /*extend=*/true);
}

bool VisibilityMapPinOk(const Relation& rel, BlockNumber heap_block, storage::Buffer vm_buffer) {
  return IsMapPageFor(vm_buffer, rel.locator, heap_block);
}

bool VisibilityMapIsAllVisible(const Relation& rel, BlockNumber heap_block,
                               storage::Buffer* vm_buffer) {
  if (!IsMapPageFor(*vm_buffer, rel.locator, heap_block)) {
    if (*vm_buffer != kInvalidBuffer) {
      storage::ReleaseBuffer(*vm_buffer);
      *vm_buffer = kInvalidBuffer;
    }
    *vm_buffer = ReadMapPage(rel.locator, MapBlockOf(heap_block), /*extend=*/false);
    if (*vm_buffer == kInvalidBuffer) return false;
  }
  return (MapByte(storage::BufferGetPage(*vm_buffer), heap_block).load(std::memory_order_relaxed) &
          MapBitOf(heap_block)) != 0;
}

bool VisibilityMapClear(const Relation& rel, BlockNumber heap_block, storage::Buffer vm_buffer) {
  KEEL_ASSERT(IsMapPageFor(vm_buffer, rel.locator, heap_block));
  storage::LockBuffer(vm_buffer, BufferLockMode::kExclusive);
  std::atomic_ref<uint8_t> byte = MapByte(storage::BufferGetPage(vm_buffer), heap_block);
  const uint8_t old = byte.load(std::memory_order_relaxed);
  const bool was_set = (old & MapBitOf(heap_block)) != 0;
  if (was_set) {
    // V3: not WAL-logged by itself: the heap record that caused it says "all-visible cleared"
    // and its redo clears the bit again. The page LSN stays: no image is needed for a clear.
    byte.store(static_cast<uint8_t>(old & ~MapBitOf(heap_block)), std::memory_order_relaxed);
    storage::MarkBufferDirty(vm_buffer);
  }
  storage::UnlockBuffer(vm_buffer);
  return was_set;
}

void VisibilityMapSet(const Relation& rel, BlockNumber heap_block, storage::Buffer heap_buffer,
                      storage::Buffer vm_buffer) {
  KEEL_ASSERT(IsMapPageFor(vm_buffer, rel.locator, heap_block));
  KEEL_ASSERT(storage::BufferGetBlockNumber(heap_buffer) == heap_block);
  storage::Page heap_page = storage::BufferGetPage(heap_buffer);
  storage::LockBuffer(vm_buffer, BufferLockMode::kExclusive);
  storage::Page map_page = storage::BufferGetPage(vm_buffer);
  std::atomic_ref<uint8_t> byte = MapByte(map_page, heap_block);
  const bool bit_set = (byte.load(std::memory_order_relaxed) & MapBitOf(heap_block)) != 0;
  const bool flag_set = (storage::GetPageHeader(heap_page)->flags & storage::kPageAllVisible) != 0;
  if (bit_set && flag_set) {
    storage::UnlockBuffer(vm_buffer);
    return;
  }
  WalHeap2Visible xl{};
  xl.heap_block = heap_block.value();
  transam::WalRecordBuilder builder;
  [&]() noexcept {  // critical section (W5)
    // V5: the heap page's flag and the bit change together, under one record.
    storage::GetPageHeader(heap_page)->flags |= storage::kPageAllVisible;
    storage::MarkBufferDirty(heap_buffer);
    byte.store(static_cast<uint8_t>(byte.load(std::memory_order_relaxed) | MapBitOf(heap_block)),
               std::memory_order_relaxed);
    storage::MarkBufferDirty(vm_buffer);
    // The map page is not a standard page (the bitmap fills the "hole"): a whole image.
    builder.RegisterBuffer(kHeap2VisibleMapBlockId, vm_buffer, 0);
    builder.RegisterBuffer(kHeap2VisibleHeapBlockId, heap_buffer, transam::kRegStandard);
    builder.RegisterData(&xl, sizeof xl);
    const Lsn lsn = builder.Insert(transam::RmgrId::kHeap2, kWalHeap2Visible);
    storage::PageSetLsn(map_page, lsn);
    storage::PageSetLsn(heap_page, lsn);
  }();
  storage::UnlockBuffer(vm_buffer);
}

BlockNumber VisibilityMapCountAllVisible(const Relation& rel) {
  if (!storage::SmgrExists(rel.locator, ForkNumber::kVisibilityMap)) return BlockNumber(0);
  const BlockNumber map_blocks = storage::SmgrNBlocks(rel.locator, ForkNumber::kVisibilityMap);
  uint32_t count = 0;
  for (uint32_t b = 0; b < map_blocks.value(); ++b) {
    storage::PinnedBuffer pin(ReadMapPage(rel.locator, BlockNumber(b), /*extend=*/false));
    if (pin.get() == kInvalidBuffer) break;
    storage::BufferLockGuard lock(pin.get(), BufferLockMode::kShare);
    const auto* bytes =
        reinterpret_cast<const uint8_t*>(storage::BufferGetPage(pin.get()) + kMapOffset);
    for (size_t i = 0; i < kMapBytes; ++i) count += static_cast<uint32_t>(std::popcount(bytes[i]));
  }
  return BlockNumber(count);
}

BlockNumber VisibilityMapBlocksFor(BlockNumber heap_blocks) {
  return BlockNumber(static_cast<uint32_t>(
      (static_cast<uint64_t>(heap_blocks.value()) + kHeapBlocksPerMapPage - 1) /
      kHeapBlocksPerMapPage));
}

void VisibilityMapTruncate(const Relation& rel, BlockNumber heap_blocks) {
  const RelFileLocator& locator = rel.locator;
  if (!storage::SmgrExists(locator, ForkNumber::kVisibilityMap)) return;
  const uint32_t first_bit = heap_blocks.value() % kHeapBlocksPerMapPage;
  if (first_bit != 0) {
    // V6: the last map page stays, partly. Its bits from `heap_blocks` on are cleared and the
    // page is WAL-logged as a full image, so that after a crash no bit survives for a heap
    // block that may later be added again with tuples not visible to everyone.
    storage::PinnedBuffer pin(ReadMapPage(locator, MapBlockOf(heap_blocks), /*extend=*/false));
    if (pin.get() != kInvalidBuffer) {
      storage::BufferLockGuard lock(pin.get(), BufferLockMode::kExclusive);
      storage::Page page = storage::BufferGetPage(pin.get());
      auto* bytes = reinterpret_cast<uint8_t*>(page + kMapOffset);
      const uint32_t first_byte = first_bit / 8;
      transam::WalRecordBuilder builder;
      [&]() noexcept {  // critical section (W5)
        bytes[first_byte] &= static_cast<uint8_t>((1u << (first_bit % 8)) - 1);
        for (size_t i = first_byte + 1; i < kMapBytes; ++i) bytes[i] = 0;
        storage::MarkBufferDirty(pin.get());
        builder.RegisterBuffer(0, pin.get(), transam::kRegForceImage);
        const Lsn lsn = builder.Insert(transam::RmgrId::kXlog, transam::kXlogFpi);
        storage::PageSetLsn(page, lsn);
      }();
    }
  }
  // The whole pages past it go with their own truncation record (the heap's record carries
  // the heap's block count, which is not the map's).
  transam::LogAndTruncateRelation(locator, 1u << static_cast<int>(ForkNumber::kVisibilityMap),
                                  VisibilityMapBlocksFor(heap_blocks));
}

void VisibilityMapRedoSet(const RelFileLocator& rel, BlockNumber heap_block,
                          storage::Buffer vm_buffer) {
  KEEL_ASSERT(IsMapPageFor(vm_buffer, rel, heap_block));
  storage::Page page = storage::BufferGetPage(vm_buffer);
  if (storage::PageIsNew(page)) storage::PageInit(page, 0);
  std::atomic_ref<uint8_t> byte = MapByte(page, heap_block);
  byte.store(static_cast<uint8_t>(byte.load(std::memory_order_relaxed) | MapBitOf(heap_block)),
             std::memory_order_relaxed);
}

void VisibilityMapRedoClear(const RelFileLocator& rel, BlockNumber heap_block) {
  // V3: unconditional (no LSN check, the map page's LSN is not the heap page's): a clear is
  // always safe. At worst a bit that a later record set ends up clear after redo.
  storage::PinnedBuffer pin(ReadMapPage(rel, MapBlockOf(heap_block), /*extend=*/false));
  if (pin.get() == kInvalidBuffer) return;
  storage::BufferLockGuard lock(pin.get(), BufferLockMode::kExclusive);
  std::atomic_ref<uint8_t> byte = MapByte(storage::BufferGetPage(pin.get()), heap_block);
  const uint8_t old = byte.load(std::memory_order_relaxed);
  if ((old & MapBitOf(heap_block)) != 0) {
    byte.store(static_cast<uint8_t>(old & ~MapBitOf(heap_block)), std::memory_order_relaxed);
    storage::MarkBufferDirty(pin.get());
  }
}

}  // namespace keel::access
