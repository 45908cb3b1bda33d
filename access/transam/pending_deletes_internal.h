// Pending deletes as the transaction manager sees them: the lists that go into commit, abort,
// abort-sub and prepare records, their execution after the record, and subtransaction
// bookkeeping. Used by xact.cpp, twophase.cpp and xact_redo.cpp only. README.md ("Pending
// deletes", D1-D9).
#pragma once

#include <span>
#include <string>
#include <vector>

#include "storage/buffer/bufmgr.h"
#include "storage/common/ids.h"

namespace keel::transam {

// The storage to remove when the top-level transaction ends: at commit (`commit`: the drops of
// every level not rolled back) or at abort (the creations of every level). Sorted, no
// duplicates. Nesting levels are TransactionNestingLevel() values (1 = top level).
[[nodiscard]] std::vector<RelFileLocator> PendingDeletesAtEnd(bool commit);
// ROLLBACK TO: the creations of nesting levels >= `level` (the abort-sub record's list).
[[nodiscard]] std::vector<RelFileLocator> PendingCreatesFromLevel(int level);

// D4, D10: before the commit / abort / abort-sub / COMMIT PREPARED record, outside the
// checkpoint-delay bracket: forgets the buffers of the named storage (relations: every fork;
// database directories: the whole database) without writing them. kInterruptible (commit:
// the drops of DROP TABLE / DROP DATABASE, whose storage other processes might still pin) may
// throw an interrupt before anything is forgotten; kUninterruptible never throws. Requires:
// nothing that can fail comes between this and the record (a drop that is not followed by
// its record would lose dirty pages of storage that lives on); this process pins none of the
// buffers (B14: ROLLBACK TO releases its pins first).
void DropPendingBuffers(std::span<const RelFileLocator> locators, storage::DropWait wait);

// After the commit record (durable) or the abort record (D4), buffers already dropped
// (DropPendingBuffers): unlinks the files of the matching list and forgets every entry. Never
// throws (failures are WARNINGs, D6).
void DoPendingDeletes(bool commit) noexcept;
// ROLLBACK TO, after its abort-sub record (buffers dropped before it): removes what levels >=
// `level` created, forgets what they dropped (D5).
void DoSubAbortPendingDeletes(int level) noexcept;
// RELEASE: the entries of nesting level `level` now belong to level - 1 (D5).
void AtSubCommitPendingDeletes(int level) noexcept;
// PREPARE (after the record) and process-state resets: forgets every entry without removing
// anything (the prepared transaction's state file carries the lists, D7).
void ForgetPendingDeletes() noexcept;

// The files only (buffers already dropped): relations (fsyncs forgotten, files unlinked, the
// main fork's name after the next checkpoint: SM5) and database directories (fsyncs
// forgotten, directory removed). What is already gone is fine; other failures are WARNINGs
// (D6). Runs inside the checkpoint-delay bracket.
void UnlinkStorageNow(std::span<const RelFileLocator> locators) noexcept;

// Both steps at once, each on its own (the files go even if dropping a buffer failed, D6):
// redo of commit / abort records (D8), where nothing else runs.
void DropStorageNow(std::span<const RelFileLocator> locators) noexcept;

// "base/5/16384" for a relation (its main fork), "base/5" for a database directory
// (keel-waldump, messages).
[[nodiscard]] std::string PendingDeletePath(const RelFileLocator& locator);

}  // namespace keel::transam
