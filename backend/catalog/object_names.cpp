// Generated object names (PostgreSQL's makeObjectName / ChooseRelationName /
// ChooseConstraintName / makeArrayTypeName); see object_names.h.
#include "backend/catalog/object_names.h"

#include <algorithm>

#include "access/common/datum.h"
#include "backend/catalog/catalog_defs.h"
#include "backend/catalog/namespace.h"
#include "backend/catalog/object_address_internal.h"

namespace keel::catalog {
namespace {

constexpr size_t kMaxNameBytes = 63;  // NAMEDATALEN - 1
constexpr uint32_t kConstraintNameNspIndex = 2664;
constexpr uint32_t kTypeNameNspIndex = 2704;

// Bytes of `s` to keep when it must be at most `len` long, backing off to a UTF-8 character
// boundary (PostgreSQL's pg_mbcliplen).
size_t ClipLength(std::string_view s, size_t len) {
  if (s.size() <= len) return s.size();
  while (len > 0 && (static_cast<unsigned char>(s[len]) & 0xC0) == 0x80) --len;
  return len;
}

bool ConstraintNameUsed(const std::string& name, Oid nsp) {
  const internal::NameKey key(name);
  const access::Datum keys[] = {key.datum(), access::ObjectIdGetDatum(nsp)};
  return !internal::RowsByKey(catalog_oid::kPgConstraint, kConstraintNameNspIndex, keys).empty();
}

}  // namespace

std::string MakeObjectName(std::string_view name1, std::string_view name2,
                           std::string_view label) {
  size_t len1 = name1.size();
  size_t len2 = name2.size();
  // Two underscores when name2 is given, one before label (PostgreSQL's overhead).
  size_t overhead = 0;
  if (!name2.empty()) ++overhead;
  if (!label.empty()) overhead += label.size() + 1;
  const size_t avail = kMaxNameBytes > overhead ? kMaxNameBytes - overhead : 0;
  while (len1 + len2 > avail) {
    if (len1 > len2) {
      --len1;
    } else {
      --len2;
    }
  }
  len1 = ClipLength(name1, len1);
  len2 = ClipLength(name2, len2);
  std::string out(name1.substr(0, len1));
  if (!name2.empty()) {
    out += '_';
    out += name2.substr(0, len2);
  }
  if (!label.empty()) {
    out += '_';
    out += label;
  }
  return out;
}

std::string ChooseIndexNameAddition(const std::vector<std::string>& column_names) {
  std::string out;
  for (const std::string& n : column_names) {
    if (!out.empty()) out += '_';
    out += n;
    if (out.size() >= 64) break;  // NAMEDATALEN
  }
  return out;
}

std::string ChooseRelationName(std::string_view name1, std::string_view name2,
                               std::string_view label, Oid nsp) {
  std::string name = MakeObjectName(name1, name2, label);
  for (int pass = 1; GetRelnameRelid(name, nsp) != kInvalidOid; ++pass) {
    name = MakeObjectName(name1, name2, std::string(label) + std::to_string(pass));
  }
  return name;
}

std::string ChooseConstraintName(std::string_view name1, std::string_view name2,
                                 std::string_view label, Oid nsp,
                                 const std::vector<std::string>& taken) {
  std::string name = MakeObjectName(name1, name2, label);
  for (int pass = 1; ConstraintNameUsed(name, nsp) ||
                     std::find(taken.begin(), taken.end(), name) != taken.end();
       ++pass) {
    name = MakeObjectName(name1, name2, std::string(label) + std::to_string(pass));
  }
  return name;
}

std::string MakeArrayTypeName(std::string_view type_name, Oid nsp) {
  std::string name = "_" + std::string(type_name.substr(0, ClipLength(type_name, kMaxNameBytes - 1)));
  for (size_t i = 1; i < kMaxNameBytes; ++i) {
    const internal::NameKey key(name);
    const access::Datum keys[] = {key.datum(), access::ObjectIdGetDatum(nsp)};
    if (internal::RowsByKey(catalog_oid::kPgType, kTypeNameNspIndex, keys).empty()) return name;
    name = std::string(i + 1, '_') +
           std::string(type_name.substr(0, ClipLength(type_name, kMaxNameBytes - i - 1)));
  }
  return name;
}

}  // namespace keel::catalog
