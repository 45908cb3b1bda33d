// The heap tuple format of DESIGN.md §5: a 31-byte header with 64-bit xmin/xmax, command id,
// ctid and infomask bits, then the null bitmap, padding to 8 bytes, then the column data.
// Byte layout and the meaning of every bit: access/heap/README.md ("Tuple format").
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "storage/common/ids.h"
#include "storage/page/item_pointer.h"

namespace keel::access {

// infomask bits.
inline constexpr uint16_t kHeapHasNull = 0x0001;        // null bitmap present
inline constexpr uint16_t kHeapHasVarWidth = 0x0002;    // has variable-width columns
inline constexpr uint16_t kHeapHasExternal = 0x0004;    // has out-of-line (TOAST) values
inline constexpr uint16_t kHeapXmaxKeyShrLock = 0x0010; // xmax is a KEY SHARE locker
inline constexpr uint16_t kHeapComboCid = 0x0020;       // cid is a combo id (cmin and cmax)
inline constexpr uint16_t kHeapXmaxExclLock = 0x0040;   // xmax is an exclusive locker
inline constexpr uint16_t kHeapXmaxLockOnly = 0x0080;   // xmax only locked the row
inline constexpr uint16_t kHeapXmaxShrLock = kHeapXmaxExclLock | kHeapXmaxKeyShrLock;
inline constexpr uint16_t kHeapXminCommitted = 0x0100;  // hint: xmin known committed
inline constexpr uint16_t kHeapXminInvalid = 0x0200;    // hint: xmin known aborted
inline constexpr uint16_t kHeapXmaxCommitted = 0x0400;  // hint: xmax known committed
inline constexpr uint16_t kHeapXmaxInvalid = 0x0800;    // hint: xmax known aborted / none
inline constexpr uint16_t kHeapXmaxIsMulti = 0x1000;    // xmax is a MultiXactId (HP18)
inline constexpr uint16_t kHeapUpdated = 0x2000;        // this is an updated version
inline constexpr uint16_t kHeapHintBits =
    kHeapXminCommitted | kHeapXminInvalid | kHeapXmaxCommitted | kHeapXmaxInvalid;
inline constexpr uint16_t kHeapXmaxBits = kHeapXmaxCommitted | kHeapXmaxInvalid |
                                          kHeapXmaxIsMulti | kHeapXmaxLockOnly |
                                          kHeapXmaxKeyShrLock | kHeapXmaxExclLock;

// infomask2 bits; the low 11 bits are the number of attributes.
inline constexpr uint16_t kHeapNattsMask = 0x07FF;
inline constexpr uint16_t kHeapKeysUpdated = 0x2000;    // update changed key columns / delete
inline constexpr uint16_t kHeapHotUpdated = 0x4000;     // updated HOT: next version on this page
inline constexpr uint16_t kHeapOnlyTuple = 0x8000;      // a HOT version: no index entries

// On-page header, little-endian, at an 8-byte aligned item start. Accessed through memcpy-free
// field access (the item is aligned); `hoff` is where the column data begins.
struct HeapTupleHeader {
  uint64_t xmin;          // inserting transaction
  uint64_t xmax;          // deleting / updating / locking transaction; 0 = none
  uint32_t cid;           // cmin, cmax or combo id
  uint32_t ctid_block;    // this version's own tid, or its successor's after an update
  uint16_t ctid_offset;
  uint16_t infomask;
  uint16_t infomask2;
  uint8_t hoff;           // MaxAlign(kHeapTupleHeaderSize + null bitmap bytes)
  // uint8_t bits[];      // null bitmap at byte 31 when kHeapHasNull: bit set = not null

  [[nodiscard]] TransactionId Xmin() const { return TransactionId(xmin); }
  [[nodiscard]] TransactionId Xmax() const { return TransactionId(xmax); }
  [[nodiscard]] storage::ItemPointer Ctid() const {
    return {BlockNumber(ctid_block), ctid_offset};
  }
  void SetCtid(const storage::ItemPointer& tid) {
    ctid_block = tid.block.value();
    ctid_offset = tid.offset;
  }
  [[nodiscard]] int Natts() const { return infomask2 & kHeapNattsMask; }
  [[nodiscard]] const uint8_t* NullBitmap() const {
    return reinterpret_cast<const uint8_t*>(this) + kBitmapOffset;
  }
  [[nodiscard]] uint8_t* NullBitmap() { return reinterpret_cast<uint8_t*>(this) + kBitmapOffset; }
  static constexpr size_t kBitmapOffset = 31;
};
inline constexpr size_t kHeapTupleHeaderSize = 31;
static_assert(offsetof(HeapTupleHeader, hoff) == 30);

// hoff for `natts` columns, with or without a null bitmap.
[[nodiscard]] constexpr size_t HeapTupleHeaderLength(int natts, bool has_nulls) {
  size_t bytes = kHeapTupleHeaderSize + (has_nulls ? (static_cast<size_t>(natts) + 7) / 8 : 0);
  return (bytes + 7) & ~size_t{7};
}

// Largest tuple that fits on an empty heap page (page header, one line pointer).
inline constexpr size_t kMaxHeapTupleSize = 8192 - 32 - 4;

// An owned copy of a tuple (header + data), with where it came from. 8-byte aligned storage.
class HeapTuple {
 public:
  HeapTuple() = default;
  explicit HeapTuple(size_t len) : words_((len + 7) / 8), len_(static_cast<uint32_t>(len)) {}
  HeapTuple(const std::byte* data, size_t len) : HeapTuple(len) { memcpy(words_.data(), data, len); }

  [[nodiscard]] HeapTupleHeader* header() { return reinterpret_cast<HeapTupleHeader*>(words_.data()); }
  [[nodiscard]] const HeapTupleHeader* header() const {
    return reinterpret_cast<const HeapTupleHeader*>(words_.data());
  }
  [[nodiscard]] std::byte* data() { return reinterpret_cast<std::byte*>(words_.data()); }
  [[nodiscard]] const std::byte* data() const {
    return reinterpret_cast<const std::byte*>(words_.data());
  }
  [[nodiscard]] uint32_t size() const { return len_; }
  [[nodiscard]] bool empty() const { return len_ == 0; }

  storage::ItemPointer self;  // where it is stored (invalid until inserted)
  Oid table;                  // relation id it came from

 private:
  std::vector<uint64_t> words_;
  uint32_t len_ = 0;
};

// A tuple inside a pinned page: valid only while the scan or caller keeps that page pinned.
struct HeapTupleView {
  storage::ItemPointer self;
  const HeapTupleHeader* header = nullptr;
  uint32_t size = 0;
};

}  // namespace keel::access
