// TOAST: compressing large values with zlib, moving them out of line into the TOAST relation
// as chunks, fetching them back, deleting them, and assigning value ids. Formats, rounds and
// invariants TS1-TS8: access/common/README.md ("TOAST").
#include "access/heap/heap_toast.h"

#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <optional>
#include <type_traits>

#include "access/common/datum.h"
#include "access/common/heap_form.h"
#include "access/common/tuple_desc.h"
#include "access/common/varlena.h"
#include "access/heap/heapam.h"
#include "access/transam/snapshot.h"
#include "access/transam/xact.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "storage/ipc/shmem.h"
#include "storage/lmgr/lock.h"
#include "storage/lmgr/spinlock.h"

namespace keel::access {

namespace {

constexpr int kChunkIdCol = 0;
constexpr int kChunkSeqCol = 1;
constexpr int kChunkDataCol = 2;

// Values this small are never compressed or moved: a pointer would save nothing (PostgreSQL's
// MAXALIGN(TOAST_POINTER_SIZE)).
constexpr size_t kMinToastableSize = 24;
// zlib is tried only on values at least this long (pglz's default min_input_size).
constexpr size_t kMinCompressSize = 32;
// TS3: zlib level 1 — TOAST sits on the insert path; PostgreSQL picks pglz / lz4 for speed too.
constexpr int kZlibLevel = 1;

// ---------------------------------------------------------------------------------------------
// Value ids (TS4): a shared table of per-TOAST-relation counters in shared memory, each seeded
// once per server lifetime by a scan for the largest chunk_id, then handed out by fetch_add.
// ---------------------------------------------------------------------------------------------

constexpr char kValueIdTableName[] = "toast value ids";
constexpr uint32_t kValueIdSlots = 4096;  // open addressing; a power of two
constexpr uint32_t kPgClassOid = 1259;
constexpr uint32_t kSeedLockSubId = 0xFFFFFFFF;  // object lock "seeding value ids of rel"

struct ValueIdSlot {
  uint64_t key;                 // db << 32 | toast relation oid; 0 = free. Guarded by lock.
  std::atomic<uint32_t> next;   // next value id to hand out; fetch_add, no lock
  uint32_t padding;
};

struct ValueIdTable {
  storage::SpinLock lock;  // guards every slot's key and `used`; zero bytes = unlocked
  uint32_t used;
  ValueIdSlot slots[kValueIdSlots];
};
static_assert(std::is_standard_layout_v<ValueIdTable> &&
              std::is_trivially_destructible_v<ValueIdTable>);

ValueIdTable* GetValueIdTable() {
  // Not cached: the region is re-created after a crash (maybe elsewhere); a name lookup per
  // toasted value is cheap next to the chunk inserts that follow. Created with the rest of
  // shared memory (ToastShmemInit); zero bytes are a valid empty table.
  bool found = false;
  return static_cast<ValueIdTable*>(
      storage::ShmemInitStruct(kValueIdTableName, sizeof(ValueIdTable), &found));
}

uint64_t ValueIdKey(const Relation& toast) {
  return (static_cast<uint64_t>(toast.db.value()) << 32) | toast.id.value();
}

// The slot for `key`, or nullptr; with `insert_next`, creates it (returns nullptr when full).
ValueIdSlot* FindSlot(ValueIdTable* table, uint64_t key, std::optional<uint32_t> insert_next) {
  storage::SpinLockGuard guard(&table->lock);
  uint32_t h = static_cast<uint32_t>((key * 0x9E3779B97F4A7C15ull) >> 40) & (kValueIdSlots - 1);
  for (uint32_t probe = 0; probe < kValueIdSlots; ++probe) {
    ValueIdSlot& slot = table->slots[(h + probe) & (kValueIdSlots - 1)];
    if (slot.key == key) return &slot;
    if (slot.key == 0) {
      if (!insert_next) return nullptr;
      slot.next.store(*insert_next, std::memory_order_relaxed);
      slot.key = key;  // published by the spinlock release
      ++table->used;
      return &slot;
    }
  }
  return nullptr;
}

// What a TOAST helper scan should see: the latest committed state plus everything this
// transaction did, including the current command (curcid one past it).
transam::Snapshot ToastSnapshot() {
  transam::Snapshot snap = transam::GetLatestSnapshot();
  snap.curcid = CommandId(transam::GetCurrentCommandId(false).value() + 1);
  return snap;
}

uint32_t MaxChunkId(const Relation& toast) {
  const TupleDesc& desc = ToastRelationDesc();
  uint32_t max_id = 0;
  transam::Snapshot snap = ToastSnapshot();
  HeapScan scan(toast, snap);
  HeapTupleView view;
  while (scan.Next(&view)) {
    bool isnull = false;
    Datum id = HeapGetAttr(desc, view.header, view.size, kChunkIdCol, &isnull);
    if (!isnull) max_id = std::max(max_id, DatumGetUInt32(id));
  }
  return max_id;
}

Oid NewToastValueId(const Relation& toast) {
  ValueIdTable* table = GetValueIdTable();
  const uint64_t key = ValueIdKey(toast);
  ValueIdSlot* slot = FindSlot(table, key, std::nullopt);
  if (slot == nullptr) {
    // TS4: seed once. The lock makes concurrent first users wait for one scan; nobody can
    // hold an id of this relation that the scan misses, since every id handed out since the
    // shared memory was created came from this (missing) slot.
    storage::LockTag tag = storage::ObjectLockTag(toast.db.value(), kPgClassOid,
                                                  toast.id.value(), kSeedLockSubId);
    (void)storage::LockAcquire(tag, storage::LockMode::kExclusive);
    try {
      slot = FindSlot(table, key, std::nullopt);
      if (slot == nullptr) {
        uint32_t next = MaxChunkId(toast) + 1;
        slot = FindSlot(table, key, next == 0 ? 1 : next);
      }
    } catch (...) {
      storage::LockRelease(tag, storage::LockMode::kExclusive);
      throw;
    }
    storage::LockRelease(tag, storage::LockMode::kExclusive);
    if (slot == nullptr) {
      throw Error(sqlstate::kOutOfMemory, "out of shared memory")
          .WithDetail(Format("More than %u TOAST relations received out-of-line values since "
                             "the server started.", kValueIdSlots));
    }
  }
  uint32_t id;
  do {
    id = slot->next.fetch_add(1, std::memory_order_relaxed);
  } while (id == 0);  // 0 is InvalidOid; after 2^32 values the counter wraps (TS4)
  return Oid(id);
}

// ---------------------------------------------------------------------------------------------
// Compression (TS3)
// ---------------------------------------------------------------------------------------------

// A compressed inline varlena for plain value `p`, or nothing when it saves less than 25%.
std::optional<std::vector<std::byte>> TryCompress(const std::byte* p) {
  if (!VarIs4BUncompressed(p)) return std::nullopt;
  const size_t raw = VarSizeAnyExhdr(p);
  if (raw < kMinCompressSize) return std::nullopt;
  uLongf bound = compressBound(static_cast<uLong>(raw));
  std::vector<std::byte> out(2 * kVarHdrSz + bound);
  int rc = compress2(reinterpret_cast<Bytef*>(out.data() + 2 * kVarHdrSz), &bound,
                     reinterpret_cast<const Bytef*>(VarDataAny(p)), static_cast<uLong>(raw),
                     kZlibLevel);
  if (rc != Z_OK) return std::nullopt;
  const size_t total = 2 * kVarHdrSz + bound;
  const size_t original = raw + kVarHdrSz;
  if (total > original - original / 4) return std::nullopt;  // TS3: must save >= 25%
  out.resize(total);
  SetVarSize4BCompressed(out.data(), total, static_cast<uint32_t>(raw), ToastCompressionId::kZlib);
  return out;
}

}  // namespace

size_t ToastShmemSize() { return sizeof(ValueIdTable); }

void ToastShmemInit() {
  bool found = false;
  void* table = storage::ShmemInitStruct(kValueIdTableName, sizeof(ValueIdTable), &found);
  if (!found) memset(table, 0, sizeof(ValueIdTable));
}

std::vector<std::byte> DecompressVarlena(const std::byte* value) {
  KEEL_ASSERT(VarIsCompressed(value));
  ToastCompressionId method = VarCompressionMethod(value);
  if (method != ToastCompressionId::kZlib) {
    throw Error(sqlstate::kInternalError,
                Format("invalid compression method id %d", static_cast<int>(method)));
  }
  const uint32_t raw = VarCompressedRawSize(value);
  const size_t total = VarSizeAny(value);
  std::vector<std::byte> out(raw + kVarHdrSz);
  uLongf out_len = raw;
  int rc = uncompress(reinterpret_cast<Bytef*>(out.data() + kVarHdrSz), &out_len,
                      reinterpret_cast<const Bytef*>(value + 2 * kVarHdrSz),
                      static_cast<uLong>(total - 2 * kVarHdrSz));
  if (rc != Z_OK || out_len != raw) {
    throw Error(sqlstate::kDataCorrupted, "compressed zlib data is corrupt");
  }
  SetVarSize4B(out.data(), out.size());
  return out;
}

const TupleDesc& ToastRelationDesc() {
  static const TupleDesc desc = [] {
    Attribute data = AttributeForType("chunk_data", type_oid::kBytea, true);
    data.attstorage = kStoragePlain;  // TS2: chunks are never toasted or packed
    return TupleDesc({AttributeForType("chunk_id", type_oid::kOid, true),
                      AttributeForType("chunk_seq", type_oid::kInt4, true), data});
  }();
  return desc;
}

namespace {

const Relation& RequireToastRelation(const Relation& rel, Oid toastrelid) {
  if (rel.toast == nullptr || rel.toast->id != toastrelid) {
    throw Error(sqlstate::kInternalError,
                Format("unexpected TOAST pointer to relation %u in a value of relation \"%s\"",
                       toastrelid.value(), rel.name.c_str()));
  }
  return *rel.toast;
}

// Stores value `p` (plain, short or compressed inline) as chunks; returns its pointer (TS1).
std::vector<std::byte> SaveValue(const Relation& rel, const std::byte* p) {
  const Relation& toast = *rel.toast;
  const std::byte* data = VarDataAny(p);
  const size_t len = VarSizeAnyExhdr(p);
  VarattExternal ptr;
  if (VarIsCompressed(p)) {
    // The tcinfo word travels with the compressed bytes; extsize < rawsize - 4 marks it (V5).
    ptr.rawsize = static_cast<int32_t>(VarCompressedRawSize(p) + kVarHdrSz);
    ptr.extinfo = MakeExtInfo(static_cast<uint32_t>(len), VarCompressionMethod(p));
    KEEL_ASSERT(ptr.IsCompressed());
  } else {
    ptr.rawsize = static_cast<int32_t>(len + kVarHdrSz);
    ptr.extinfo = MakeExtInfo(static_cast<uint32_t>(len), ToastCompressionId::kInvalid);
  }
  ptr.valueid = NewToastValueId(toast);
  ptr.toastrelid = toast.id;

  const TupleDesc& desc = ToastRelationDesc();
  const CommandId cid = transam::GetCurrentCommandId(true);
  std::vector<std::byte> chunk(kVarHdrSz + kToastMaxChunkSize);
  const bool isnull[3] = {false, false, false};
  int32_t seq = 0;
  for (size_t off = 0; off < len; off += kToastMaxChunkSize, ++seq) {
    const size_t n = std::min(kToastMaxChunkSize, len - off);
    SetVarSize4B(chunk.data(), kVarHdrSz + n);
    memcpy(chunk.data() + kVarHdrSz, data + off, n);
    const Datum values[3] = {ObjectIdGetDatum(ptr.valueid), Int32GetDatum(seq),
                             PointerGetDatum(chunk.data())};
    HeapTuple t = HeapFormTuple(desc, values, isnull);
    (void)HeapInsert(toast, t, cid);
  }
  std::vector<std::byte> out(kToastPointerSize);
  WriteExternalPointer(out.data(), ptr);
  return out;
}

// Chunks of `ptr` visible to `snapshot`, reassembled into a varlena (compressed or plain).
std::vector<std::byte> FetchValue(const Relation& toast, const VarattExternal& ptr,
                                  const transam::Snapshot& snapshot) {
  const TupleDesc& desc = ToastRelationDesc();
  const uint32_t ext = ptr.ExtSize();
  const int32_t nchunks = static_cast<int32_t>((ext + kToastMaxChunkSize - 1) / kToastMaxChunkSize);
  const uint32_t valueid = ptr.valueid.value();
  const char* relname = toast.name.c_str();
  std::vector<std::byte> out(kVarHdrSz + ext);
  std::vector<bool> seen(static_cast<size_t>(nchunks), false);

  // TS7: no index on (chunk_id, chunk_seq) yet — a full scan filtered by chunk_id, O(table)
  // per value. Issue 5 adds the index.
  HeapScan scan(toast, snapshot);
  HeapTupleView view;
  Datum values[3];
  bool isnull[3];
  while (scan.Next(&view)) {
    bool id_null = false;
    Datum id = HeapGetAttr(desc, view.header, view.size, kChunkIdCol, &id_null);
    if (id_null || DatumGetUInt32(id) != valueid) continue;
    HeapDeformTuple(desc, view.header, view.size, values, isnull);
    if (isnull[kChunkSeqCol] || isnull[kChunkDataCol]) {
      throw Error(sqlstate::kDataCorrupted,
                  Format("null chunk for toast value %u in %s", valueid, relname));
    }
    const int32_t seq = DatumGetInt32(values[kChunkSeqCol]);
    const std::byte* chunk = DatumGetPointer(values[kChunkDataCol]);
    if (VarIsExternal(chunk) || VarIsCompressed(chunk)) {
      throw Error(sqlstate::kDataCorrupted,
                  Format("found toasted toast chunk for toast value %u in %s", valueid, relname));
    }
    if (seq < 0 || seq >= nchunks || seen[static_cast<size_t>(seq)]) {
      throw Error(sqlstate::kDataCorrupted,
                  Format("unexpected chunk number %d (out of range %d..%d) for toast value %u "
                         "in %s",
                         seq, 0, nchunks - 1, valueid, relname));
    }
    const size_t expected = seq < nchunks - 1
                                ? kToastMaxChunkSize
                                : ext - static_cast<size_t>(seq) * kToastMaxChunkSize;
    const size_t got = VarSizeAnyExhdr(chunk);
    if (got != expected) {
      throw Error(sqlstate::kDataCorrupted,
                  Format("unexpected chunk size %zu (expected %zu) in chunk %d of %d for toast "
                         "value %u in %s",
                         got, expected, seq, nchunks, valueid, relname));
    }
    memcpy(out.data() + kVarHdrSz + static_cast<size_t>(seq) * kToastMaxChunkSize,
           VarDataAny(chunk), got);
    seen[static_cast<size_t>(seq)] = true;
  }
  for (int32_t seq = 0; seq < nchunks; ++seq) {
    if (!seen[static_cast<size_t>(seq)]) {
      throw Error(sqlstate::kDataCorrupted,
                  Format("missing chunk number %d for toast value %u in %s", seq, valueid,
                         relname));
    }
  }
  if (ptr.IsCompressed()) {
    // The stored bytes begin with the tcinfo word: a compressed inline varlena again (V5).
    uint32_t header = (static_cast<uint32_t>(out.size()) << 2) | 0x02;
    memcpy(out.data(), &header, 4);
  } else {
    SetVarSize4B(out.data(), out.size());
  }
  return out;
}

// Deletes every chunk of value `valueid` this transaction can still see (TS5).
void DeleteValue(const Relation& toast, Oid valueid) {
  const TupleDesc& desc = ToastRelationDesc();
  std::vector<storage::ItemPointer> tids;
  {
    transam::Snapshot snap = ToastSnapshot();
    HeapScan scan(toast, snap);
    HeapTupleView view;
    while (scan.Next(&view)) {
      bool isnull = false;
      Datum id = HeapGetAttr(desc, view.header, view.size, kChunkIdCol, &isnull);
      if (!isnull && DatumGetObjectId(id) == valueid) tids.push_back(view.self);
    }
  }  // the scan's pin is gone before the deletes lock the pages
  const CommandId cid = transam::GetCurrentCommandId(true);
  for (const storage::ItemPointer& tid : tids) {
    TmFailureData tmfd{};
    TmResult r = HeapDelete(toast, tid, cid, nullptr, /*wait=*/true, &tmfd);
    if (r != TmResult::kOk && r != TmResult::kSelfModified) {
      // The owning row is locked by this transaction, so nobody else changes its chunks.
      throw Error(sqlstate::kInternalError,
                  Format("could not delete chunk of toast value %u in %s: concurrently changed",
                         valueid.value(), toast.name.c_str()));
    }
  }
}

// Per-column state while toasting one tuple.
struct ColumnState {
  bool candidate = false;       // a non-null varlena that may still be changed
  bool incompressible = false;  // compression tried and failed, already compressed, or 'e'
  bool external = false;        // an out-of-line pointer now
  std::vector<std::byte> owned; // the current representation when it is not in `tuple`
};

bool StorageIn(char storage, char a, char b) { return storage == a || storage == b; }

// The largest column (> kMinToastableSize) among `storage_a`/`storage_b` that is inline; for
// compression only plain uncompressed ones not yet tried. -1 when none.
int BiggestColumn(const TupleDesc& desc, const std::vector<ColumnState>& cols,
                  const std::vector<Datum>& values, char storage_a, char storage_b,
                  bool for_compression) {
  int best = -1;
  size_t best_size = kMinToastableSize;
  for (int i = 0; i < desc.natts(); ++i) {
    const ColumnState& c = cols[static_cast<size_t>(i)];
    if (!c.candidate || c.external) continue;
    if (!StorageIn(desc.attr(i).attstorage, storage_a, storage_b)) continue;
    const std::byte* p = DatumGetPointer(values[static_cast<size_t>(i)]);
    if (for_compression && (c.incompressible || VarIsExtended(p))) continue;
    const size_t size = VarSizeAny(p);
    if (size > best_size) {
      best = i;
      best_size = size;
    }
  }
  return best;
}

}  // namespace

HeapTuple ToastTupleForStore(const Relation& rel, const HeapTuple& tuple, const HeapTuple* old) {
  KEEL_ASSERT(rel.desc != nullptr);
  const TupleDesc& desc = *rel.desc;
  const size_t natts = static_cast<size_t>(desc.natts());
  std::vector<Datum> values(natts);
  auto isnull = std::make_unique<bool[]>(natts);
  HeapDeformTuple(desc, tuple.header(), tuple.size(), values, std::span<bool>(isnull.get(), natts));
  std::vector<Datum> old_values;
  std::unique_ptr<bool[]> old_null;
  if (old != nullptr) {
    old_values.resize(natts);
    old_null = std::make_unique<bool[]>(natts);
    HeapDeformTuple(desc, old->header(), old->size(), old_values,
                    std::span<bool>(old_null.get(), natts));
  }

  std::vector<ColumnState> cols(natts);
  std::vector<VarattExternal> delete_after;  // old values this version no longer references
  bool changed = false;
  for (size_t i = 0; i < natts; ++i) {
    const Attribute& a = desc.attr(static_cast<int>(i));
    if (a.attlen != kAttLenVarlena) continue;
    const std::byte* old_p = nullptr;
    if (old != nullptr && !old_null[i] && VarIsExternal(DatumGetPointer(old_values[i]))) {
      old_p = DatumGetPointer(old_values[i]);
    }
    if (isnull[i]) {
      if (old_p != nullptr) delete_after.push_back(ReadExternalPointer(old_p));
      continue;
    }
    ColumnState& c = cols[i];
    const std::byte* p = DatumGetPointer(values[i]);
    if (VarIsExternal(p)) {
      if (old_p != nullptr && memcmp(p, old_p, kToastPointerSize) == 0) {
        c.external = true;  // TS5: the unchanged value keeps its chunks
        continue;
      }
      // Someone else's pointer (another row of this table): the value gets its own copy,
      // since the chunks go away with that row (TS5).
      VarattExternal ptr = ReadExternalPointer(p);
      const Relation& toast = RequireToastRelation(rel, ptr.toastrelid);
      c.owned = FetchValue(toast, ptr, ToastSnapshot());
      values[i] = PointerGetDatum(c.owned.data());
      changed = true;
    }
    if (old_p != nullptr) delete_after.push_back(ReadExternalPointer(old_p));
    c.candidate = a.attstorage != kStoragePlain;
    c.incompressible = VarIsCompressed(DatumGetPointer(values[i]));
  }

  std::span<const bool> nulls(isnull.get(), natts);
  auto size = [&] { return HeapComputeTupleSize(desc, values, nulls); };
  auto compress = [&](int col) {
    ColumnState& c = cols[static_cast<size_t>(col)];
    auto compressed = TryCompress(DatumGetPointer(values[static_cast<size_t>(col)]));
    c.incompressible = true;  // tried once: either it is compressed now or it never will be
    if (!compressed) return;
    c.owned = std::move(*compressed);
    values[static_cast<size_t>(col)] = PointerGetDatum(c.owned.data());
    changed = true;
  };
  auto externalize = [&](int col) {
    ColumnState& c = cols[static_cast<size_t>(col)];
    c.owned = SaveValue(rel, DatumGetPointer(values[static_cast<size_t>(col)]));
    c.external = true;
    values[static_cast<size_t>(col)] = PointerGetDatum(c.owned.data());
    changed = true;
  };
  const bool any_null = std::find(nulls.begin(), nulls.end(), true) != nulls.end();
  const size_t hoff = HeapTupleHeaderLength(desc.natts(), any_null);

  // TS1 round 1: compress the largest 'x' values; one that alone still exceeds the data
  // budget goes out of line at once ('e' values too).
  while (size() > kToastTupleThreshold) {
    int col = BiggestColumn(desc, cols, values, kStorageExtended, kStorageExternal, true);
    if (col < 0) break;
    if (desc.attr(col).attstorage == kStorageExtended) {
      compress(col);
    } else {
      cols[static_cast<size_t>(col)].incompressible = true;
    }
    const size_t col_size = VarSizeAny(DatumGetPointer(values[static_cast<size_t>(col)]));
    if (rel.toast != nullptr && col_size > kToastTupleThreshold - hoff) {
      externalize(col);
    }
  }
  // Round 2: move the largest remaining 'x' / 'e' values out of line.
  while (rel.toast != nullptr && size() > kToastTupleThreshold) {
    int col = BiggestColumn(desc, cols, values, kStorageExtended, kStorageExternal, false);
    if (col < 0) break;
    externalize(col);
  }
  // Round 3: compress 'm' values.
  while (size() > kToastTupleThreshold) {
    int col = BiggestColumn(desc, cols, values, kStorageMain, kStorageMain, true);
    if (col < 0) break;
    compress(col);
  }
  // Round 4: 'm' values go out of line only when the tuple would not fit a page otherwise.
  while (rel.toast != nullptr && size() > kMaxHeapTupleSize) {
    int col = BiggestColumn(desc, cols, values, kStorageMain, kStorageMain, false);
    if (col < 0) break;
    externalize(col);
  }

  HeapTuple result = changed ? HeapFormTuple(desc, values, nulls)
                             : HeapTuple(tuple.data(), tuple.size());
  result.self = tuple.self;
  result.table = tuple.table;
  // Only now that the new version is complete: the old values it dropped (TS5).
  for (const VarattExternal& ptr : delete_after) {
    DeleteValue(RequireToastRelation(rel, ptr.toastrelid), ptr.valueid);
  }
  return result;
}

void ToastDeleteValues(const Relation& rel, const HeapTupleHeader* tuple, uint32_t size) {
  if (rel.toast == nullptr || rel.desc == nullptr) return;
  if ((tuple->infomask & kHeapHasExternal) == 0) return;
  const TupleDesc& desc = *rel.desc;
  const size_t natts = static_cast<size_t>(desc.natts());
  std::vector<Datum> values(natts);
  auto isnull = std::make_unique<bool[]>(natts);
  HeapDeformTuple(desc, tuple, size, values, std::span<bool>(isnull.get(), natts));
  std::vector<VarattExternal> ptrs;  // read before deleting: `tuple` may be a page view
  for (size_t i = 0; i < natts; ++i) {
    if (isnull[i] || desc.attr(static_cast<int>(i)).attlen != kAttLenVarlena) continue;
    const std::byte* p = DatumGetPointer(values[i]);
    if (VarIsExternal(p)) ptrs.push_back(ReadExternalPointer(p));
  }
  for (const VarattExternal& ptr : ptrs) {
    DeleteValue(RequireToastRelation(rel, ptr.toastrelid), ptr.valueid);
  }
}

std::vector<std::byte> Detoast(const Relation& rel, const std::byte* value,
                               const transam::Snapshot& snapshot) {
  if (VarIsExternal(value)) {
    VarattExternal ptr = ReadExternalPointer(value);
    std::vector<std::byte> stored =
        FetchValue(RequireToastRelation(rel, ptr.toastrelid), ptr, snapshot);
    if (ptr.IsCompressed()) return DecompressVarlena(stored.data());
    return stored;
  }
  if (VarIsCompressed(value)) return DecompressVarlena(value);
  return MakeVarlena(VarDataSpan(value));
}

}  // namespace keel::access
