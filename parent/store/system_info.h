#pragma once
// Netdata's per-host "system info" (the os_name, kernel_version, cores_total, ... members of
// /api/v1/info), as key/value pairs with /api/v1/info's key names. Pure functions; any thread.

#include <string_view>
#include <vector>

#include "common/http/url.h"
#include "common/model/metrics.h"

namespace trib::parent::store {

// The /api/v1/info keys in Netdata's order.
const std::vector<std::string_view>& system_info_keys();

// From a stock child's STREAM parameters: NETDATA_SYSTEM_OS_NAME -> os_name, ...,
// NETDATA_SYSTEM_CPU_LOGICAL_CPU_COUNT -> cores_total, NETDATA_INSTANCE_CLOUD_TYPE ->
// cloud_provider_type. Also accepts NETDATA_HOST_OS_* (what a 1.37 proxy forwards). Other
// parameters are skipped.
std::vector<model::Label> system_info_from_stream_params(const http::QueryParams& params);

// This machine's: /etc/os-release (NAME, ID, ID_LIKE, VERSION, VERSION_ID), uname(), the
// number of CPUs and the RAM size. What cannot be read is left out.
std::vector<model::Label> local_system_info();

}  // namespace trib::parent::store
