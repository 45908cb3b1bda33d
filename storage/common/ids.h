// Strong types for the identifiers every layer passes around: log sequence numbers, block
// numbers, object ids, relation file locators, fork numbers, transaction and command ids.
// Distinct types, so an Lsn cannot be passed where a BlockNumber is meant. See README.md.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>

namespace keel {

// A strongly typed integer: explicit construction, comparison, no arithmetic by accident.
template <typename Tag, typename Rep>
class StrongId {
 public:
  using rep_type = Rep;
  constexpr StrongId() = default;
  constexpr explicit StrongId(Rep value) : value_(value) {}
  [[nodiscard]] constexpr Rep value() const { return value_; }
  friend constexpr auto operator<=>(const StrongId&, const StrongId&) = default;

 private:
  Rep value_ = 0;
};

// A WAL position: the byte offset from the start of the log (64 bits, never wraps).
// Lsn{0} is "invalid / none".
struct LsnTag {};
class Lsn : public StrongId<LsnTag, uint64_t> {
 public:
  using StrongId::StrongId;
  [[nodiscard]] constexpr bool valid() const { return value() != 0; }
  [[nodiscard]] constexpr Lsn operator+(uint64_t bytes) const { return Lsn(value() + bytes); }
  [[nodiscard]] constexpr uint64_t operator-(Lsn other) const { return value() - other.value(); }
};
inline constexpr Lsn kInvalidLsn{0};

// A block's index within one fork of a relation (8 KiB blocks; 2^32 - 1 is invalid).
struct BlockNumberTag {};
using BlockNumber = StrongId<BlockNumberTag, uint32_t>;
inline constexpr BlockNumber kInvalidBlockNumber{0xFFFFFFFFu};

// PostgreSQL-compatible object identifier (32 bits; 0 is invalid).
struct OidTag {};
using Oid = StrongId<OidTag, uint32_t>;
inline constexpr Oid kInvalidOid{0};

// 64-bit transaction id: never wraps (DESIGN.md §5). 0 invalid, 1 bootstrap, 2 frozen (kept
// for catalog compatibility only), normal ids start at 3.
struct TransactionIdTag {};
using TransactionId = StrongId<TransactionIdTag, uint64_t>;
inline constexpr TransactionId kInvalidTransactionId{0};

struct CommandIdTag {};
using CommandId = StrongId<CommandIdTag, uint32_t>;

// Which file of a relation: the data itself, free space map, visibility map, init fork.
enum class ForkNumber : uint8_t { kMain = 0, kFsm = 1, kVisibilityMap = 2, kInit = 3 };
inline constexpr int kMaxForkNumber = 3;

// Names the files of one relation: base/<db>/<relnumber>, or global/<relnumber> when
// db == 0 (shared catalogs). Tablespaces other than the default come later; spc is kept so
// the layout of WAL records and buffer tags need not change then.
struct RelFileLocator {
  Oid spc;
  Oid db;
  Oid rel;
  friend constexpr bool operator==(const RelFileLocator&, const RelFileLocator&) = default;
};

// Page and segment geometry.
inline constexpr uint32_t kBlockSize = 8192;
inline constexpr uint32_t kBlocksPerSegment = (1u << 30) / kBlockSize;  // 1 GiB segments

}  // namespace keel

template <>
struct std::hash<keel::RelFileLocator> {
  size_t operator()(const keel::RelFileLocator& r) const noexcept {
    uint64_t h = (static_cast<uint64_t>(r.db.value()) << 32) ^ r.rel.value();
    h ^= static_cast<uint64_t>(r.spc.value()) * 0x9E3779B97F4A7C15ull;
    return std::hash<uint64_t>{}(h);
  }
};
