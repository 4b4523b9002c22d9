#pragma once
// The identity of the machine this process runs on, as both binaries need it at start-up.

#include <string>

#include "common/base/result.h"
#include "common/model/metrics.h"

namespace trib::config {

// The host this process speaks for: its machine GUID (created in `data_dir`, which is created
// if missing, on first start; see machine_guid.h), `configured_hostname` or else the OS host
// name, the IANA time zone, this program's name and version, hops 0.
Result<model::HostInfo> local_host_info(const std::string& data_dir,
                                        const std::string& configured_hostname);

}  // namespace trib::config
