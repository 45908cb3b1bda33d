// Whether an xid committed or aborted, from the commit log with a one-entry process-local
// cache. README.md ("Transactions", X9, X13).
#include "access/transam/clog.h"
#include "access/transam/subtrans.h"
#include "access/transam/transam.h"
#include "access/transam/transam_internal.h"

namespace keel::transam {
namespace {

// The last final answer (committed / aborted never change again); process-local.
TransactionId cached_xid;
XidStatus cached_status = XidStatus::kInProgress;

XidStatus StatusOf(TransactionId xid) {
  if (TransactionIdIsValid(cached_xid) && xid == cached_xid) return cached_status;
  const XidStatus status = TransactionIdGetStatus(xid);
  if (status == XidStatus::kCommitted || status == XidStatus::kAborted) {
    cached_xid = xid;
    cached_status = status;
  }
  return status;
}

}  // namespace

void ResetStatusCache() { cached_xid = kInvalidTransactionId; }

bool TransactionIdDidCommit(TransactionId xid) {
  if (!TransactionIdIsNormal(xid)) return TransactionIdIsValid(xid);  // bootstrap, frozen
  const XidStatus status = StatusOf(xid);
  if (status == XidStatus::kSubCommitted) {
    // X13: Keel never writes kSubCommitted, but a sub-committed xid counts as its parent's
    // fate; without a known parent (a crash left it) it did not commit.
    const TransactionId parent = SubTransGetParent(xid);
    return TransactionIdIsValid(parent) && TransactionIdDidCommit(parent);
  }
  return status == XidStatus::kCommitted;
}

bool TransactionIdDidAbort(TransactionId xid) {
  if (!TransactionIdIsValid(xid)) return true;  // as PostgreSQL: an invalid xid "aborted"
  if (!TransactionIdIsNormal(xid)) return false;
  const XidStatus status = StatusOf(xid);
  if (status == XidStatus::kSubCommitted) {
    const TransactionId parent = SubTransGetParent(xid);
    return !TransactionIdIsValid(parent) || TransactionIdDidAbort(parent);
  }
  return status == XidStatus::kAborted;
}

}  // namespace keel::transam
