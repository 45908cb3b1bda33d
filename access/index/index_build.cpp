// TableIndexBuildSource: a table scan turned into index build rows (README.md, "Building").
#include "access/index/index_build.h"

#include "access/common/heap_form.h"
#include "access/common/tuple_desc.h"
#include "access/table/tableam.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/sqlstate.h"

namespace keel::access {

TableIndexBuildSource::TableIndexBuildSource(const Relation& heap, const IndexInfo& info,
                                             const transam::Snapshot& snapshot)
    : heap_(heap), info_(info) {
  KEEL_ASSERT(heap.desc != nullptr);
  const int natts = heap.desc->natts();
  for (const AttrNumber attno : info.heap_attnos) {
    if (attno == 0) {
      throw Error(sqlstate::kFeatureNotSupported, "index expressions are not supported yet");
    }
    if (attno < 0 || attno > natts) {
      throw Error(sqlstate::kInternalError,
                  Format("invalid attribute number %d for relation \"%s\"", attno,
                         heap.name.c_str()));
    }
  }
  row_values_.resize(static_cast<size_t>(natts));
  row_isnull_ = std::make_unique<bool[]>(static_cast<size_t>(natts));
  values_.resize(info.heap_attnos.size());
  isnull_ = std::make_unique<bool[]>(info.heap_attnos.size());
  scan_ = TableAmOf(heap).BeginScan(heap, snapshot);
}

TableIndexBuildSource::~TableIndexBuildSource() = default;

bool TableIndexBuildSource::Next(IndexBuildRow* out) {
  HeapTupleView row;
  if (!scan_->Next(&row)) return false;
  const size_t natts = row_values_.size();
  HeapDeformTuple(*heap_.desc, row.header, row.size, row_values_,
                  std::span<bool>(row_isnull_.get(), natts));
  for (size_t i = 0; i < info_.heap_attnos.size(); ++i) {
    const auto col = static_cast<size_t>(info_.heap_attnos[i] - 1);
    values_[i] = row_values_[col];
    isnull_[i] = row_isnull_[col];
  }
  out->tid = row.self;
  out->values = values_;
  out->isnull = std::span<const bool>(isnull_.get(), info_.heap_attnos.size());
  out->alive = true;
  return true;
}

}  // namespace keel::access
