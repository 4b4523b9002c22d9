#pragma once
// Netdata's health API over the HealthService, for the parent's own host and every child:
//
//   GET /api/v1/alarms[?all]            raised alarms (WARNING, CRITICAL), or every instance
//   GET /api/v1/alarm_log[?after=ID]    log entries newer than ID, newest first
//   GET /api/v1/manage/health?cmd=...   SILENCE ALL, DISABLE ALL, SILENCE, DISABLE, RESET, LIST,
//                                       with selectors alarm=, chart=, context=, host=, families=
//   /host/<hostname or guid>/api/v1/... the same for one child (manage/health is global)
//
// manage/health needs the fleet admin token (`X-Auth-Token: <token>` as Netdata, or
// `Authorization: Bearer <token>`); without a configured token it is refused.
// Runs on the parent's I/O loop (reads the HealthService and the HostRegistry).

#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/http/message.h"
#include "parent/health/health_service.h"
#include "parent/query/api.h"
#include "parent/store/host_registry.h"

namespace trib::parent::health {

// nullopt: not a health path, or a host the registry does not know (handle_api answers it).
std::optional<query::ApiResponse> handle_health_api(HealthService& service,
                                                    const store::HostRegistry& registry,
                                                    const http::HttpRequest& request,
                                                    std::string_view admin_token, int64_t now);

// One alarm log entry in Netdata's /api/v1/alarm_log shape (also the body of a webhook).
nlohmann::ordered_json alarm_log_entry_json(const AlarmLogEntry& e, const std::string& exec);
// A value as the API and notifications show it: two decimals and the units; '-' if undefined.
std::string alarm_value_text(double v, const std::string& units);

}  // namespace trib::parent::health
