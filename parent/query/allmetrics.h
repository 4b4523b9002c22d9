#pragma once
// /api/v1/allmetrics: the latest value of every dimension of a host in one answer, in Netdata
// 1.37's shapes (web/api/exporters/shell/allmetrics_shell.c, exporting/prometheus/prometheus.c)
// plus `flat`, a JSON array Telegraf's inputs.http reads with data_format = "json" (tags at the
// top level; docs/api.md).
//
// Differences from Netdata, on purpose:
//  - Prometheus output is grouped by metric family (all samples of one name together, one
//    `# TYPE` line each), so promtool and strict parsers accept it; Netdata repeats TYPE lines.
//  - label values are escaped as the exposition format says (`\\`, `\"`, `\n`) and invalid UTF-8
//    becomes U+FFFD; metric and label names are sanitized to [a-zA-Z0-9_].
//  - `source=as-collected` gives the last stored value as a gauge: samples are stored as final
//    values (rates computed by the agent), so there is no raw counter to expose.
//
// Runs on the parent's I/O loop (reads the HostRegistry synchronously).

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "parent/query/allmetrics_request.h"
#include "parent/store/host.h"
#include "parent/store/host_registry.h"

namespace trib::parent::query {

// When each Prometheus server last scraped each host: an average covers the time since then
// (Netdata's prometheus_server_last_access). Bounded: beyond `capacity` entries the least
// recently used one is forgotten, so random `server=` values cannot grow it.
class ScrapeHistory {
 public:
  explicit ScrapeHistory(size_t capacity = 1024) : capacity_(capacity) {}

  // The previous scrape of `host_guid` by `server` (0: never), and remembers `now_s` as the new
  // one.
  int64_t exchange(std::string_view server, std::string_view host_guid, int64_t now_s);
  size_t size() const { return last_.size(); }

 private:
  size_t capacity_;
  std::map<std::pair<std::string, std::string>, int64_t> last_;
};

struct AllmetricsContext {
  int64_t now_s = 0;
  std::string client;                // the requester's address: the default `server`
  ScrapeHistory* scrapes = nullptr;  // null: every scrape is a first one
};

struct AllmetricsResponse {
  std::string content_type;
  std::string body;
};

// `host` for every format but prometheus_all_hosts, which covers every host of `registry`.
AllmetricsResponse render_allmetrics(const store::HostRegistry& registry, const store::Host& host,
                                     const AllmetricsRequest& request,
                                     const AllmetricsContext& context);

// Pieces, for tests and other exporters.
// Every byte outside [a-zA-Z0-9] becomes '_' (Netdata's prometheus_name_copy).
std::string prometheus_name(std::string_view text);
// A label value for the text exposition format: `\`, `"` and newline escaped, invalid UTF-8
// replaced by U+FFFD.
std::string prometheus_label_value(std::string_view text);
// Netdata's unit suffix: "_" + sanitized units, "%" -> "_percent", ".../s" -> "..._persec".
std::string prometheus_units(std::string_view units);

}  // namespace trib::parent::query
