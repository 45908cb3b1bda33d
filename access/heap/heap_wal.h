// WAL records of the heap: record layouts, redo and keel-waldump describe/identify for
// RmgrId::kHeap (insert, delete, update, HOT update, lock) and RmgrId::kHeap2 (pruning, vacuum,
// visibility-map set: the kHeap2 section below, owned by the pruning/VM code).
// Record formats and redo rules: access/heap/README.md ("WAL records", HP-invariants).
#pragma once

#include <cstdint>
#include <string>

#include "access/transam/rmgr.h"

namespace keel::transam {
class DecodedRecord;
}

namespace keel::access {

// ---------------------------------------------------------------------------------------------
// kHeap records (heap_wal.cpp).
// ---------------------------------------------------------------------------------------------

// info byte (the low 4 bits of the info byte are the record type, high bits flags).
inline constexpr uint8_t kWalHeapInsert = 0x00;
inline constexpr uint8_t kWalHeapDelete = 0x10;
inline constexpr uint8_t kWalHeapUpdate = 0x20;
inline constexpr uint8_t kWalHeapHotUpdate = 0x30;
inline constexpr uint8_t kWalHeapLock = 0x40;
inline constexpr uint8_t kWalHeapOpMask = 0x70;
// The insert/update put the (new) tuple on a fresh page: redo initialises it (kRegWillInit).
inline constexpr uint8_t kWalHeapInitPage = 0x80;

// flags in the records below.
inline constexpr uint8_t kWalHeapAllVisibleCleared = 0x01;     // VM bit of block 0 cleared
inline constexpr uint8_t kWalHeapNewAllVisibleCleared = 0x02;  // update: VM bit of new page

// Header of the tuple as stored in WAL (the fields redo cannot derive): 7 bytes, then the
// tuple's bytes from offset kHeapTupleHeaderSize (null bitmap, padding, data).
struct WalHeapHeader {
  uint16_t infomask2;
  uint16_t infomask;
  uint8_t hoff;
};

// INSERT: main data WalHeapInsert; block 0 = target page, its data = WalHeapHeader + tuple
// bytes after the fixed header. xmin = the record's xid, cid in main data.
struct WalHeapInsert {
  uint16_t offset;   // line pointer the tuple goes to
  uint8_t flags;
  uint8_t pad;
  uint32_t cid;
};
static_assert(sizeof(WalHeapInsert) == 8);

// DELETE: main data WalHeapDelete; block 0 = the page.
struct WalHeapDelete {
  uint64_t xmax;
  uint16_t offset;
  uint16_t infomask;    // the old tuple's infomask / infomask2 after the delete (xmax bits)
  uint16_t infomask2;
  uint8_t flags;
  uint8_t pad;
  uint32_t cid;         // cmax or combo id as stored in the tuple
  uint32_t pad2;
};
static_assert(sizeof(WalHeapDelete) == 24);

// UPDATE / HOT_UPDATE: main data WalHeapUpdate; block 0 = the new tuple's page (data =
// WalHeapHeader + tuple bytes), block 1 = the old tuple's page when different.
struct WalHeapUpdate {
  uint64_t old_xmax;
  uint16_t old_offset;
  uint16_t old_infomask;
  uint16_t old_infomask2;
  uint16_t new_offset;
  uint8_t flags;
  uint8_t pad[3];
  uint32_t old_cid;     // as stored in the old tuple afterwards (cmax or combo id)
  uint32_t new_cid;     // cmin of the new version
  uint32_t pad2;
  uint64_t new_xmax;    // the new version's xmax: lockers it inherits (HP21), else 0
};
static_assert(sizeof(WalHeapUpdate) == 40);

// LOCK: main data WalHeapLock; block 0 = the page. `locker` is the new raw xmax: the locking
// xid, or a MultiXactId when infomask has kHeapXmaxIsMulti (the record's xid is the locker).
struct WalHeapLock {
  uint64_t locker;
  uint16_t offset;
  uint16_t infomask;
  uint16_t infomask2;
  uint8_t flags;
  uint8_t pad;
};
static_assert(sizeof(WalHeapLock) == 16);

void HeapRedo(const transam::DecodedRecord& record);
[[nodiscard]] std::string HeapDescribe(const transam::DecodedRecord& record);
[[nodiscard]] const char* HeapIdentify(uint8_t info);

// ---------------------------------------------------------------------------------------------
// kHeap2 records: OWNED BY THE PRUNING / VISIBILITY-MAP CODE (access/heap/heap2_wal.cpp).
// Record layouts for prune, vacuum and visible records are declared in this section by that
// code; RegisterHeapRmgrs() registers these three functions for RmgrId::kHeap2.
// Formats and redo rules: README_vacuum.md ("WAL records of pruning and VACUUM", P1-P8).
// ---------------------------------------------------------------------------------------------

inline constexpr uint8_t kWalHeap2Prune = 0x10;
inline constexpr uint8_t kWalHeap2Vacuum = 0x20;
inline constexpr uint8_t kWalHeap2Visible = 0x30;

// PRUNE: main data WalHeap2Prune; block 0 = the heap page (standard layout). Its block data:
// `nredirected` pairs (from, to) of uint16 offsets, then `ndead` offsets that become kDead,
// then `nunused` offsets that become kUnused. Redo applies them, compacts the page
// (PageRepairFragmentation) and sets the page's prune_xid to `new_prune_xid`.
struct WalHeap2Prune {
  uint64_t latest_removed_xid;  // newest xid among the removed versions (standby conflicts)
  uint64_t new_prune_xid;       // the page's prune_xid afterwards (0: nothing left to prune)
  uint16_t nredirected;
  uint16_t ndead;
  uint16_t nunused;
  uint16_t pad;
};
static_assert(sizeof(WalHeap2Prune) == 24);

// VACUUM (second pass): main data WalHeap2Vacuum; block 0 = the heap page, its block data
// `nunused` uint16 offsets of kDead line pointers that become kUnused (their index entries are
// gone). Redo also drops trailing unused line pointers as the original did.
struct WalHeap2Vacuum {
  uint16_t nunused;
  uint16_t pad[3];
};
static_assert(sizeof(WalHeap2Vacuum) == 8);

// VISIBLE: main data WalHeap2Visible; block kHeap2VisibleMapBlockId = the visibility-map page
// (registered without kRegStandard: an image is the whole page), block
// kHeap2VisibleHeapBlockId = the heap page. Redo sets the heap page's kPageAllVisible and the
// map bit, each only when that page is older than the record.
inline constexpr uint8_t kHeap2VisibleMapBlockId = 0;
inline constexpr uint8_t kHeap2VisibleHeapBlockId = 1;
struct WalHeap2Visible {
  uint32_t heap_block;
  uint32_t pad;
};
static_assert(sizeof(WalHeap2Visible) == 8);

void Heap2Redo(const transam::DecodedRecord& record);
[[nodiscard]] std::string Heap2Describe(const transam::DecodedRecord& record);
[[nodiscard]] const char* Heap2Identify(uint8_t info);

// --- end of the kHeap2 section ---------------------------------------------------------------

}  // namespace keel::access
