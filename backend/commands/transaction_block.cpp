// PreventInTransactionBlock; see transaction_block.h and README.md ("Databases", B9).
#include "backend/commands/transaction_block.h"

#include "access/transam/xact.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/sqlstate.h"

namespace keel::commands {
namespace {

bool in_transaction_block = false;

}  // namespace

void SetInTransactionBlock(bool in_block) { in_transaction_block = in_block; }

bool IsInTransactionBlock() { return in_transaction_block; }

void PreventInTransactionBlock(bool is_top_level, const char* stmt_type) {
  if (in_transaction_block) {
    throw Error(sqlstate::kActiveSqlTransaction,
                Format("%s cannot run inside a transaction block", stmt_type));
  }
  if (transam::IsTransactionActive() && transam::TransactionNestingLevel() > 1) {
    throw Error(sqlstate::kActiveSqlTransaction,
                Format("%s cannot run inside a subtransaction", stmt_type));
  }
  if (!is_top_level) {
    throw Error(sqlstate::kActiveSqlTransaction,
                Format("%s cannot be executed from a function", stmt_type));
  }
}

}  // namespace keel::commands
