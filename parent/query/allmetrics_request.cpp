#include "parent/query/allmetrics_request.h"

#include <cctype>

namespace trib::parent::query {

namespace {

Error bad(std::string message) { return Error(Errc::invalid_argument, std::move(message)); }

Result<AllmetricsFormat> parse_format(const std::string& text) {
  if (text == "shell" || text == "bash") return AllmetricsFormat::shell;
  if (text == "json") return AllmetricsFormat::json;
  if (text == "prometheus") return AllmetricsFormat::prometheus;
  if (text == "prometheus_all_hosts") return AllmetricsFormat::prometheus_all_hosts;
  if (text == "flat") return AllmetricsFormat::flat;
  // Netdata's own answer, with the formats added here.
  return bad(
      "Which format? 'shell', 'prometheus', 'prometheus_all_hosts', 'json' and 'flat' are "
      "currently supported (got '" +
      text + "').");
}

// Netdata's exporting_parse_data_source() names.
Result<PrometheusSource> parse_source(const std::string& text) {
  if (text == "raw" || text == "as collected" || text == "as-collected" || text == "as_collected" ||
      text == "ascollected") {
    return PrometheusSource::as_collected;
  }
  if (text == "average") return PrometheusSource::average;
  if (text == "sum" || text == "volume") return PrometheusSource::sum;
  return bad("Unsupported value for parameter 'source': '" + text +
             "' (supported: as-collected, average, sum)");
}

Result<bool> parse_bool(const std::string& name, const std::string& text) {
  if (text == "yes" || text == "1" || text == "true") return true;
  if (text == "no" || text == "0" || text == "false") return false;
  return bad("Invalid value for parameter '" + name + "': '" + text +
             "' (use yes, no, true, false, 1 or 0)");
}

// A prefix begins every metric name, so it must be one: [a-zA-Z_:][a-zA-Z0-9_:]*.
bool valid_metric_prefix(std::string_view text) {
  if (text.empty() || std::isdigit(static_cast<unsigned char>(text[0]))) return false;
  for (char c : text) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != ':') return false;
  }
  return true;
}

bool is_data_source_name(std::string_view name) {
  return name == "source" || name == "data" || name == "data source" || name == "data-source" ||
         name == "data_source" || name == "datasource";
}

}  // namespace

Result<AllmetricsRequest> parse_allmetrics_request(const http::QueryParams& params) {
  AllmetricsRequest request;
  for (const auto& [name, value] : params) {
    if (value.empty()) continue;  // Netdata skips "name=" alike
    if (name == "format") {
      TRIB_ASSIGN_OR_RETURN(request.format, parse_format(value));
    } else if (name == "filter") {
      request.filter = value;
    } else if (name == "server") {
      if (value.size() > kMaxServerName) {
        return bad("Invalid value for parameter 'server': longer than " +
                   std::to_string(kMaxServerName) + " bytes");
      }
      request.server = value;
    } else if (name == "prefix") {
      if (!valid_metric_prefix(value)) {
        return bad("Invalid value for parameter 'prefix': '" + value +
                   "' (a Prometheus metric name: letters, digits, '_' and ':', not starting "
                   "with a digit)");
      }
      request.prefix = value;
    } else if (is_data_source_name(name)) {
      TRIB_ASSIGN_OR_RETURN(request.source, parse_source(value));
    } else if (name == "names") {
      TRIB_ASSIGN_OR_RETURN(request.names, parse_bool(name, value));
    } else if (name == "timestamps") {
      TRIB_ASSIGN_OR_RETURN(request.timestamps, parse_bool(name, value));
    } else if (name == "help") {
      TRIB_ASSIGN_OR_RETURN(request.help, parse_bool(name, value));
    } else if (name == "types") {
      TRIB_ASSIGN_OR_RETURN(request.types, parse_bool(name, value));
    } else if (name == "variables") {
      TRIB_ASSIGN_OR_RETURN(request.variables, parse_bool(name, value));
    } else if (name == "hideunits") {
      TRIB_ASSIGN_OR_RETURN(request.hideunits, parse_bool(name, value));
    } else if (name == "oldunits") {
      // Netdata's pre-1.12 unit names: accepted, the current names are always used.
      TRIB_TRY(parse_bool(name, value));
    }
  }
  return request;
}

}  // namespace trib::parent::query
