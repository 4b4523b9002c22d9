#pragma once
// Replacing a small file so that a crash at any moment leaves either the old contents or the
// new, never a torn mix: a temporary file beside it, written and fsynced, renamed over the
// target, then the directory fsynced so the rename itself is durable. For state kept across
// restarts (the machine GUID, health silencers). Any thread; not for concurrent writers of the
// same path.

#include <string>
#include <string_view>

#include "common/base/result.h"

namespace trib {

// Writes `contents` to `path` atomically and durably. The directory must exist. On failure the
// old file (if any) is untouched and the temporary file is removed.
Status write_file_atomically(const std::string& path, std::string_view contents);

}  // namespace trib
