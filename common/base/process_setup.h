#pragma once
// What both binaries set up for their process at start-up.

#include <cstdint>

#include "common/base/result.h"

namespace trib {

// Raises the soft limit on open files to the hard limit and returns the new soft limit. The
// agent keeps /proc files of watched processes and tailed logs open, the parent one descriptor
// per stream; the usual soft limit of 1,024 is an accident of history (select()), not a budget.
Result<uint64_t> raise_open_files_limit();

// A peer that closes while we write to its socket must cost an EPIPE on that connection, not
// the process: libuv writes with plain write(2), which raises SIGPIPE.
void ignore_broken_pipes();

}  // namespace trib
