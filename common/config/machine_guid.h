#pragma once
// Machine GUIDs: the identity a host keeps for life and through any number of proxies.
// RFC 4122 textual form (8-4-4-4-12 hex digits), as Netdata uses for machine GUIDs and API keys.

#include <string>
#include <string_view>

#include "common/base/result.h"

namespace trib::config {

// True for the 8-4-4-4-12 hex form, any case, any version (Netdata accepts any UUID).
bool is_guid(std::string_view text);

// True when both are GUIDs naming the same UUID (hex digits compared case-insensitively).
bool same_guid(std::string_view a, std::string_view b);

// A random (version 4) UUID in lower case, from the kernel's CSPRNG (getrandom).
Result<std::string> generate_guid();

// The GUID stored in <data_dir>/machine.guid (lower-cased, surrounding whitespace ignored);
// when the file does not exist, a new GUID is generated and written atomically (temporary file,
// fsync, rename, fsync of the directory), creating data_dir if needed. A file holding anything
// else than a GUID is an error, never silently replaced: the host's identity is at stake.
Result<std::string> load_or_create_machine_guid(const std::string& data_dir);

}  // namespace trib::config
