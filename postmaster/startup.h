// The startup process: runs crash recovery (or WAL bootstrap) before the postmaster lets
// anyone in, then exits 0. Any other exit makes the postmaster give up. See README.md (S1-S3).
#pragma once

namespace keel::postmaster {

[[noreturn]] void StartupProcessMain();

}  // namespace keel::postmaster
