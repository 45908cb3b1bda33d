// TOAST: values over ~2 KiB are compressed with zlib when that pays and, if the tuple is still
// too big, moved out of line into the table's TOAST relation as chunks, leaving an 18-byte
// pointer in the tuple. Fetching is transparent. Formats, value ids, invariants TS1-TS8:
// access/common/README.md ("TOAST").
#pragma once

#include <cstddef>
#include <vector>

#include "access/common/relation.h"
#include "access/heap/heap_tuple.h"

namespace keel::transam {
struct Snapshot;
}

namespace keel::access {

struct TupleDesc;

// The shared table of TOAST value-id counters (one per TOAST relation): created by the postmaster
// with the rest of shared memory.
[[nodiscard]] size_t ToastShmemSize();
void ToastShmemInit();

// Tuples bigger than this are worth toasting (PostgreSQL's TOAST_TUPLE_THRESHOLD, ~2 KiB).
inline constexpr size_t kToastTupleThreshold = 2032;
// Data bytes per chunk: a chunk tuple (32-byte header, chunk_id, chunk_seq, 4-byte varlena
// header, data) is exactly kToastTupleThreshold bytes, so four fit a page (TS2).
inline constexpr size_t kToastMaxChunkSize = kToastTupleThreshold - 32 - 4 - 4 - 4;  // 1988

// Called by HeapInsert / HeapUpdate when `tuple` exceeds kToastTupleThreshold or has external
// values: returns the tuple to store (compressed / out-of-line values) or a copy of `tuple`
// when nothing changed. `old` (update) lets unchanged out-of-line values be shared and
// replaced ones deleted (TS5) — so call it only once the old version is known to be
// updatable. Chunks are inserted with GetCurrentCommandId(true).
// Requires: an active transaction; rel.desc set; rel.toast (with its storage created) for
// out-of-line storage — without it values are only compressed.
// Throws what HeapInsert / HeapDelete / HeapScan throw; XX000 for an external pointer into a
// TOAST relation other than rel.toast (the executor detoasts such values first).
[[nodiscard]] HeapTuple ToastTupleForStore(const Relation& rel, const HeapTuple& tuple,
                                           const HeapTuple* old);
// Called by HeapDelete: deletes the out-of-line values `tuple` references (their chunks,
// with HeapDelete under the current command id). No-op without rel.toast / rel.desc.
// Requires: an active transaction.
void ToastDeleteValues(const Relation& rel, const HeapTupleHeader* tuple, uint32_t size);

// The full value behind any varlena `value` as a plain 4-byte-header varlena: chunks fetched
// from rel.toast with a scan under `snapshot` (the snapshot that saw the row: TS6) when
// external, then decompressed when compressed; a copy otherwise.
// Requires: an active transaction for external values; `value` points at a varlena.
// Throws XX001 "missing chunk number %d for toast value %u in %s" (and PostgreSQL's other
// chunk-consistency errors), XX001 "compressed zlib data is corrupt", XX000 "invalid
// compression method id %d" for pglz / lz4 data, XX000 for a pointer into another relation.
[[nodiscard]] std::vector<std::byte> Detoast(const Relation& rel, const std::byte* value,
                                             const transam::Snapshot& snapshot);
// Decompresses an inline compressed varlena into a plain one. Same errors as Detoast.
[[nodiscard]] std::vector<std::byte> DecompressVarlena(const std::byte* value);

// The column layout of every TOAST relation: (chunk_id oid, chunk_seq int4, chunk_data bytea
// with storage 'p'). Relations built for TOAST tables point their desc here.
[[nodiscard]] const TupleDesc& ToastRelationDesc();

}  // namespace keel::access
