// A process-local registry of access methods by pg_am oid, shared by the table (access/table)
// and index (access/index) interfaces: a small fixed table filled at start-up (inherited by
// forked backends), never shrinking, scanned linearly (cheaper than hashing for so few).
// README.md ("Access method registries").
#pragma once

#include <array>
#include <string_view>

#include "storage/common/ids.h"

namespace keel::access {

// The registries' errors, out of line so that the template stays small.
namespace am_registry {
[[noreturn]] void ThrowInvalidOid(Oid oid, std::string_view name);
[[noreturn]] void ThrowNameTaken(std::string_view name);
[[noreturn]] void ThrowOidTaken(Oid oid, std::string_view holder);
[[noreturn]] void ThrowFull(const char* kind, int max);
[[noreturn]] void ThrowUnknownOid(const char* kind, Oid oid);
[[noreturn]] void ThrowUnknownName(std::string_view name);
}  // namespace am_registry

// `Am` has `std::string_view Name() const`. `kind` ("table", "index") appears in messages.
template <typename Am, int kMax>
class AmRegistry {
 public:
  explicit AmRegistry(const char* kind) : kind_(kind) {}

  // Throws 42710 `access method "%s" already exists` / `access method with oid %u already
  // exists`, 54000 when full, XX000 for kInvalidOid. Requires: `am` outlives the process.
  void Register(Oid oid, const Am& am) {
    if (oid == kInvalidOid) am_registry::ThrowInvalidOid(oid, am.Name());
    for (int i = 0; i < count_; ++i) {
      if (entries_[i].am->Name() == am.Name()) am_registry::ThrowNameTaken(am.Name());
      if (entries_[i].oid == oid) am_registry::ThrowOidTaken(oid, entries_[i].am->Name());
    }
    if (count_ == kMax) am_registry::ThrowFull(kind_, kMax);
    entries_[count_++] = Entry{oid, &am};
  }
  [[nodiscard]] const Am* Find(Oid oid) const noexcept {
    for (int i = 0; i < count_; ++i) {
      if (entries_[i].oid == oid) return entries_[i].am;
    }
    return nullptr;
  }
  // Throws XX000 "cache lookup failed for access method %u" (PostgreSQL's text).
  [[nodiscard]] const Am& Get(Oid oid) const {
    const Am* am = Find(oid);
    if (am == nullptr) am_registry::ThrowUnknownOid(kind_, oid);
    return *am;
  }
  // Throws 42704 `access method "%s" does not exist`.
  [[nodiscard]] Oid OidOf(std::string_view name) const {
    for (int i = 0; i < count_; ++i) {
      if (entries_[i].am->Name() == name) return entries_[i].oid;
    }
    am_registry::ThrowUnknownName(name);
  }
  // Test-only in practice: forgets every registration.
  void Clear() { count_ = 0; }

 private:
  struct Entry {
    Oid oid;
    const Am* am = nullptr;
  };
  const char* kind_;
  std::array<Entry, kMax> entries_{};
  int count_ = 0;
};

}  // namespace keel::access
