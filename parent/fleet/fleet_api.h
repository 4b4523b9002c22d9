#pragma once
// The fleet API on the main HTTP port (JSON shapes of the Telegraf Controller proposal, spec
// §1.5, §2.2-2.4):
//
//   GET /api/agents?status=ok,warn&hostname=web-*&sortBy=lastSeen&sortOrder=desc&page=1&pageSize=50
//   GET    /api/agents/summary {"total","ok","warn","fail","undefined","notReporting"} GET
//   /api/agents/{id}                      one agent with its last logs DELETE /api/agents/{id} 204
//   PUT    /api/agents/{id}/reporting-rule       {"reportingRuleId"}
//   POST   /api/agents/reporting-rule            {"reportingRuleId", "ids":[...],
//   "hostname":"web-*"} GET|POST /api/reporting-rules, GET|PUT|PATCH|DELETE
//   /api/reporting-rules/{id}, POST   /api/reporting-rules/{id}/default GET|POST /api/configs,
//   GET|PUT|PATCH|DELETE /api/configs/{id}, GET|HEAD /api/configs/{id}/toml?param=value  the
//   rendered TOML (see toml_template.h)
//
// Writes need the admin token; reads need the read token when one is set (the admin token
// works too). FleetApi lives on the main loop and does no database work there: it checks
// access, posts the request to the fleet thread, where route_fleet_request() runs, and answers
// when the result comes back.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/event/loop.h"
#include "common/http/server.h"
#include "parent/fleet/fleet_service.h"
#include "parent/fleet/registry.h"
#include "parent/fleet/return_path.h"

namespace trib::parent::fleet {

struct FleetApiOptions {
  std::string admin_token;  // empty: writes are refused (403)
  std::string read_token;   // empty: reads are open
};

// True for the paths this API serves.
bool is_fleet_path(std::string_view path);

// Answers one request (access already checked). Fleet thread.
http::HttpResponse route_fleet_request(FleetRegistry& registry, const http::HttpRequest& request,
                                       int64_t now_s);

// 401/403 when the request may not do what it asks, nullopt when it may. Any thread.
std::optional<http::HttpResponse> refuse_access(const FleetApiOptions& options,
                                                const http::HttpRequest& request);

class FleetApi {
 public:
  // Main loop. `fleet` must outlive the jobs this posts (the parent stops it before the loop).
  FleetApi(event::Loop& loop, FleetService& fleet, FleetApiOptions options);
  ~FleetApi();
  FleetApi(const FleetApi&) = delete;
  FleetApi& operator=(const FleetApi&) = delete;

  void handle(http::HttpRequest&& request, http::Responder responder);

 private:
  struct Waiting {
    std::unordered_map<uint64_t, http::Responder> responders;
    uint64_t next_id = 0;
  };

  FleetService& fleet_;
  FleetApiOptions options_;
  std::shared_ptr<ReturnPath> way_back_;
  std::shared_ptr<Waiting> waiting_;  // main loop only; weakly held by jobs in flight
};

}  // namespace trib::parent::fleet
