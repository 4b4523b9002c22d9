#pragma once
// The metadata endpoints in Netdata 1.37's shapes: /api/v1/info (web_api_v1.c),
// /api/v1/charts (charts2json.c) and /api/v1/chart (rrdset2json.c). Built with
// nlohmann::ordered_json so fields keep Netdata's order. Run on the parent's I/O loop (they
// read the HostRegistry).

#include <cstdint>

#include <nlohmann/json.hpp>

#include "parent/store/chart.h"
#include "parent/store/host.h"
#include "parent/store/host_registry.h"

namespace trib::parent::query {

// /api/v1/info as seen under /host/<host>/ (the parent's own host at the root). Its
// mirrored_hosts_status entries add, to Netdata's fields, each host's path (proxies, nearest
// first), connected_since and last_data (Unix s, null when never) and lag_seconds (now minus
// last_data: how far the data is behind, e.g. while a proxy replays its spool).
nlohmann::ordered_json info_json(const store::HostRegistry& registry, const store::Host& host,
                                 int64_t now_s);
// /api/v1/hosts: every host this parent holds, with how it reaches it:
// {"hosts":[{"guid","hostname","hops","path","reachable","connected_since","last_data",
// "lag_seconds","memory_mode"}]}, in registration order (the parent first).
nlohmann::ordered_json hosts_json(const store::HostRegistry& registry, int64_t now_s);
// /api/v1/charts of `host`.
nlohmann::ordered_json charts_json(const store::HostRegistry& registry, const store::Host& host);
// One chart as in /api/v1/chart and in the "charts" member of /api/v1/charts.
nlohmann::ordered_json chart_json(const store::Chart& chart);

}  // namespace trib::parent::query
