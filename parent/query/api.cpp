#include "parent/query/api.h"

#include "parent/query/allmetrics_request.h"

#include "parent/query/data_format.h"
#include "parent/query/data_query.h"
#include "parent/query/data_request.h"
#include "parent/query/host_json.h"
#include "parent/query/logs_api.h"

namespace trib::parent::query {

namespace {

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kText = "text/plain; charset=utf-8";
constexpr std::string_view kApiPrefix = "/api/v1/";
constexpr std::string_view kHostPrefix = "/host/";

ApiResponse text(int status, std::string body) {
  return ApiResponse{status, std::string(kText), std::move(body), {}};
}

ApiResponse json(const nlohmann::ordered_json& value) {
  return ApiResponse{200, std::string(kJson), value.dump(4), {}};
}

const store::Chart* find_chart_param(const store::Host& host, const http::QueryParams& query,
                                     ApiResponse& error) {
  const std::string* id = http::find_param(query, "chart");
  if (id == nullptr || id->empty()) {
    error = text(400, "No chart id is given at the request.");
    return nullptr;
  }
  const store::Chart* chart = host.find_chart(*id);
  if (chart == nullptr) error = text(404, "Chart is not found: " + *id);
  return chart;
}

ApiResponse data_endpoint(const store::Host& host, const http::QueryParams& query, int64_t now_s) {
  auto request = parse_data_request(query);
  if (!request.ok()) return text(400, request.error().message);
  const store::Chart* chart = host.find_chart(request->chart);
  if (chart == nullptr) return text(404, "Chart is not found: " + request->chart);
  auto result = run_data_query(*chart, *request, now_s);
  if (!result.ok()) return text(400, result.error().message);
  const bool json_body = request->options.jsonwrap || request->format == DataFormat::json;
  return ApiResponse{200,
                     std::string(json_body ? kJson : kText),
                     format_data_response(*chart, *request, *result),
                     {}};
}

ApiResponse allmetrics_endpoint(const store::HostRegistry& registry, const store::Host& host,
                                const http::QueryParams& query, int64_t now_s,
                                const ApiServices& services) {
  auto request = parse_allmetrics_request(query);
  if (!request.ok()) return text(400, request.error().message);
  AllmetricsContext context{now_s, services.client, services.scrapes};
  AllmetricsResponse rendered = render_allmetrics(registry, host, *request, context);
  return ApiResponse{200, std::move(rendered.content_type), std::move(rendered.body), {}};
}

ApiResponse endpoint(const store::HostRegistry& registry, const store::Host& host,
                     std::string_view path, const http::QueryParams& query, int64_t now_s,
                     const ApiServices& services) {
  if (path.substr(0, kApiPrefix.size()) != kApiPrefix) return text(404, "Not found");
  const std::string_view command = path.substr(kApiPrefix.size());
  if (command == "info") return json(info_json(registry, host, now_s));
  if (command == "hosts") return json(hosts_json(registry, now_s));
  if (command == "charts") return json(charts_json(registry, host));
  if (command == "chart") {
    ApiResponse error;
    const store::Chart* chart = find_chart_param(host, query, error);
    return chart == nullptr ? error : json(chart_json(*chart));
  }
  if (command == "data") return data_endpoint(host, query, now_s);
  if (command == "logs") return logs_endpoint(services.logs, host.machine_guid(), query, now_s);
  if (command == "gaps") return gaps_endpoint(services.logs, host.machine_guid(), query, now_s);
  if (command == "allmetrics") return allmetrics_endpoint(registry, host, query, now_s, services);
  return text(404, "Unsupported v1 API command: " + std::string(command));
}

}  // namespace

ApiResponse handle_api(const store::HostRegistry& registry, std::string_view path,
                       const http::QueryParams& query, int64_t now_s, store::LogStore* logs) {
  ApiServices services;
  services.logs = logs;
  return handle_api(registry, path, query, now_s, services);
}

ApiResponse handle_api(const store::HostRegistry& registry, std::string_view path,
                       const http::QueryParams& query, int64_t now_s, const ApiServices& services) {
  if (path.substr(0, kHostPrefix.size()) != kHostPrefix) {
    return endpoint(registry, registry.localhost(), path, query, now_s, services);
  }
  const std::string_view rest = path.substr(kHostPrefix.size());
  const size_t slash = rest.find('/');
  const std::string_view name = rest.substr(0, slash);
  if (name.empty()) {
    return text(404, "This netdata does not maintain a database for host: ");
  }
  if (slash == std::string_view::npos) {
    ApiResponse redirect{308, std::string(kText), {}, {}};
    redirect.location = std::string(kHostPrefix) + http::url_encode(name) + "/";
    redirect.body = "Moved to " + redirect.location;
    return redirect;
  }
  const std::string_view inner = rest.substr(slash);
  if (inner.substr(0, kHostPrefix.size()) == kHostPrefix || inner == "/host") {
    return text(400, "Nesting of hosts is not allowed.");
  }
  const store::Host* host = registry.find(name);
  if (host == nullptr) {
    return text(404, "This netdata does not maintain a database for host: " + std::string(name));
  }
  return endpoint(registry, *host, inner, query, now_s, services);
}

}  // namespace trib::parent::query
