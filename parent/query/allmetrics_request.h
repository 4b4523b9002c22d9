#pragma once
// The parameters of /api/v1/allmetrics, parsed and validated (Netdata 1.37's names, defaults and
// Prometheus output options; web/api/exporters/allmetrics.c). Pure functions: any thread.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/base/result.h"
#include "common/http/url.h"

namespace trib::parent::query {

enum class AllmetricsFormat : uint8_t {
  shell,                 // NETDATA_CHART_DIMENSION="value" lines (Netdata's default)
  json,                  // {chart id: {name, family, context, units, last_updated, dimensions}}
  prometheus,            // text exposition of one host
  prometheus_all_hosts,  // every host, each sample labelled instance="<hostname>"
  flat,                  // a flat JSON array for Telegraf inputs.http (data_format = "json")
};

// What a Prometheus sample is computed from (Netdata's `source=`/`data source=`).
enum class PrometheusSource : uint8_t {
  average,       // the average since this server's last scrape: <context>_<units>_average
  sum,           // their sum: <context>_<units>_sum
  as_collected,  // the last stored value as a gauge (stored values are final already)
};

struct AllmetricsRequest {
  AllmetricsFormat format = AllmetricsFormat::shell;
  std::string filter;  // simple pattern on chart id or name; empty: every chart
  std::string server;  // the scraper's name; empty: the client's address
  std::string prefix = "netdata";
  PrometheusSource source = PrometheusSource::average;
  bool names = true;       // chart and dimension names rather than ids
  bool timestamps = true;  // a millisecond timestamp on every sample
  bool help = false;       // "# COMMENT" lines describing each sample
  bool types = false;      // "# TYPE" lines
  bool variables = false;  // custom host and chart variables (none exist without health)
  bool hideunits = false;  // no units in average/sum metric names
};

// The longest `server` remembered; a longer one is refused (it keys the scrape history).
inline constexpr size_t kMaxServerName = 200;

// Unknown formats, sources, boolean values other than yes/no/true/false/1/0, a prefix that is
// not a Prometheus metric name, or an overlong server name are errors whose message names the
// parameter (the body of a 400). Netdata's other parameters are accepted and ignored; empty
// values are skipped, as Netdata does.
Result<AllmetricsRequest> parse_allmetrics_request(const http::QueryParams& params);

}  // namespace trib::parent::query
