#pragma once
// Routes a decoded request path and query to a host and a v1 endpoint, and renders the answer.
// The HTTP server (owned by the parent) calls handle_api for paths under /api/ and /host/ and
// writes the ApiResponse out. Runs on the parent's I/O loop: it reads the HostRegistry.
//
//   /api/v1/{info,charts,chart,data}                  the parent's own host
//   /host/<hostname or guid>/api/v1/...               any host (hostname looked up first)
//   /host/<h>                                         308 to /host/<h>/
//   /host/<unknown>/...                               404 "This netdata does not maintain ..."
//   /host/a/host/b/...                                400 (nesting)
//   .../api/v1/logs                                   log records (logs_api.h)
//   .../api/v1/gaps                                   metric gap records (logs_api.h)
//   .../api/v1/allmetrics                             every latest value (allmetrics.h)

#include <cstdint>
#include <string>
#include <string_view>

#include "common/http/url.h"
#include "parent/query/allmetrics.h"
#include "parent/store/host_registry.h"
#include "parent/store/log_store.h"

namespace trib::parent::query {

struct ApiResponse {
  int status = 200;
  std::string content_type;
  std::string body;
  std::string location;  // set for redirects (308)
};

// What some endpoints need beyond the registry; every member may be left empty.
struct ApiServices {
  store::LogStore* logs = nullptr;   // /api/v1/logs (null: the parent keeps no logs)
  ScrapeHistory* scrapes = nullptr;  // allmetrics averages since a server's last scrape
  std::string client;                // the requester's address (allmetrics `server` default)
};

ApiResponse handle_api(const store::HostRegistry& registry, std::string_view path,
                       const http::QueryParams& query, int64_t now_s, const ApiServices& services);
// `logs`: the log store behind /api/v1/logs (null: the parent keeps no logs).
ApiResponse handle_api(const store::HostRegistry& registry, std::string_view path,
                       const http::QueryParams& query, int64_t now_s,
                       store::LogStore* logs = nullptr);

}  // namespace trib::parent::query
