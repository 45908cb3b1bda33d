// The postmaster: owns shared memory and the listening sockets, forks one backend per
// connection and the auxiliary processes, restarts everything after a child crashes, and
// carries out the three shutdown modes. Process rules: README.md here and DESIGN.md §1.
#pragma once

namespace keel::postmaster {

// `keel -D DIR [-p PORT] [-h ADDRESSES] [-k SOCKETDIRS] [-c name=value] [--name=value]`.
// Returns the process exit code (0 after a clean shutdown).
[[nodiscard]] int PostmasterMain(int argc, char** argv);

}  // namespace keel::postmaster
