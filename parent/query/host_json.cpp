#include "parent/query/host_json.h"

#include <algorithm>
#include <set>
#include <string_view>
#include <utility>

#include "parent/store/system_info.h"

namespace trib::parent::query {

namespace {

using nlohmann::ordered_json;

const std::string* find_label(const std::vector<model::Label>& labels, std::string_view key) {
  for (const auto& [k, v] : labels) {
    if (k == key) return &v;
  }
  return nullptr;
}

ordered_json unix_or_null(int64_t seconds) {
  return seconds > 0 ? ordered_json(seconds) : ordered_json(nullptr);
}

ordered_json lag_seconds(const store::Host& host, int64_t now_s) {
  if (host.last_data_s() <= 0) return nullptr;
  return std::max<int64_t>(0, now_s - host.last_data_s());
}

ordered_json mirrored_host_status(const store::Host& host, int64_t now_s) {
  return ordered_json{{"guid", host.machine_guid()},
                      {"hostname", host.hostname()},
                      {"reachable", host.reachable()},
                      {"hops", host.info().hops},
                      {"claim_id", nullptr},
                      {"node_id", nullptr},
                      {"path", host.path()},
                      {"connected_since", unix_or_null(host.connected_since_s())},
                      {"last_data", unix_or_null(host.last_data_s())},
                      {"lag_seconds", lag_seconds(host, now_s)}};
}

ordered_json collectors_json(const store::Host& host) {
  std::set<std::pair<std::string, std::string>> seen;
  ordered_json out = ordered_json::array();
  for (const auto& chart : host.charts()) {
    auto key = std::make_pair(chart->def().plugin, chart->def().module);
    if (seen.insert(key).second) out.push_back({{"plugin", key.first}, {"module", key.second}});
  }
  return out;
}

size_t visible_dimensions(const store::Chart& chart) {
  size_t n = 0;
  for (const auto& d : chart.dimensions()) {
    if (!d.obsolete && !d.def.hidden) ++n;
  }
  return n;
}

}  // namespace

ordered_json hosts_json(const store::HostRegistry& registry, int64_t now_s) {
  ordered_json hosts = ordered_json::array();
  for (const auto& h : registry.hosts()) {
    hosts.push_back({{"guid", h->machine_guid()},
                     {"hostname", h->hostname()},
                     {"hops", h->info().hops},
                     {"path", h->path()},
                     {"reachable", h->reachable()},
                     {"connected_since", unix_or_null(h->connected_since_s())},
                     {"last_data", unix_or_null(h->last_data_s())},
                     {"lag_seconds", lag_seconds(*h, now_s)},
                     {"memory_mode", std::string(store::to_string(h->storage().mode))}});
  }
  return ordered_json{{"hosts", std::move(hosts)}};
}

ordered_json info_json(const store::HostRegistry& registry, const store::Host& host,
                       int64_t now_s) {
  ordered_json info;
  info["version"] = host.info().program_version;
  info["uid"] = host.machine_guid();
  ordered_json mirrored = ordered_json::array();
  ordered_json status = ordered_json::array();
  for (const auto& h : registry.hosts()) mirrored.push_back(h->hostname());
  // Reachable hosts first, then the disconnected ones (Netdata's order).
  for (const auto& h : registry.hosts()) {
    if (h->reachable()) status.push_back(mirrored_host_status(*h, now_s));
  }
  for (const auto& h : registry.hosts()) {
    if (!h->reachable()) status.push_back(mirrored_host_status(*h, now_s));
  }
  info["mirrored_hosts"] = std::move(mirrored);
  info["mirrored_hosts_status"] = std::move(status);

  // os_name is always present (null when unknown); the other system-info keys when known.
  for (const auto key : store::system_info_keys()) {
    const std::string* value = find_label(host.system_info(), key);
    if (value != nullptr) {
      info[std::string(key)] = *value;
    } else if (key == "os_name") {
      info["os_name"] = nullptr;
    }
  }
  ordered_json labels = ordered_json::object();
  for (const auto& [k, v] : host.info().labels) labels[k] = v;
  info["host_labels"] = std::move(labels);
  info["functions"] = ordered_json::object();
  info["collectors"] = collectors_json(host);
  info["cloud-enabled"] = false;
  info["cloud-available"] = false;
  info["agent-claimed"] = false;
  info["aclk-available"] = false;
  info["memory-mode"] = std::string(store::to_string(host.storage().mode));
  info["hosts-available"] = registry.hosts().size();
  size_t metrics = 0;
  for (const auto& chart : host.charts()) metrics += visible_dimensions(*chart);
  info["charts-count"] = host.charts().size();
  info["metrics-count"] = metrics;
  if (host.stream_compression().has_value()) {
    info["stream-compression"] = *host.stream_compression();
  } else {
    info["stream-compression"] = nullptr;
  }
  info["web-enabled"] = true;
  return info;
}

ordered_json chart_json(const store::Chart& chart) {
  const model::ChartDef& def = chart.def();
  const store::SeriesReader& series = chart.series();
  const int64_t first = series.first_time_s();
  const int64_t last = series.last_time_s();
  ordered_json dims = ordered_json::object();
  for (const auto& d : chart.dimensions()) {
    if (d.obsolete || d.def.hidden) continue;
    dims[d.def.id] = ordered_json{{"name", d.def.name}};
  }
  return ordered_json{
      {"id", def.id},
      {"name", def.name},
      {"type", std::string(def.type())},
      {"family", def.family},
      {"context", def.context},
      {"title", def.title + " (" + def.name + ")"},
      {"priority", def.priority},
      {"plugin", def.plugin},
      {"module", def.module},
      {"enabled", true},
      {"units", def.units},
      {"data_url", "/api/v1/data?chart=" + def.name},
      {"chart_type", std::string(model::to_string(def.chart_type))},
      {"duration", last == 0 ? 0 : last - first + def.update_every},
      {"first_entry", first},
      {"last_entry", last},
      {"update_every", def.update_every},
      {"dimensions", std::move(dims)},
      {"chart_variables", ordered_json::object()},
      {"green", nullptr},
      {"red", nullptr},
      {"alarms", ordered_json::object()},
      {"chart_labels", ordered_json::object()},
  };
}

ordered_json charts_json(const store::HostRegistry& registry, const store::Host& host) {
  const model::HostInfo& info = host.info();
  ordered_json out;
  out["hostname"] = info.hostname;
  out["version"] = info.program_version;
  out["release_channel"] = "stable";
  out["os"] = info.os;
  out["timezone"] = info.timezone;
  out["update_every"] = info.update_every;
  out["history"] = host.storage().history;
  out["memory_mode"] = std::string(store::to_string(host.storage().mode));
  out["custom_info"] = "";
  ordered_json charts = ordered_json::object();
  size_t dimensions = 0;
  for (const auto& chart : host.charts()) {
    charts[chart->def().id] = chart_json(*chart);
    dimensions += visible_dimensions(*chart);
  }
  out["charts"] = std::move(charts);
  out["charts_count"] = host.charts().size();
  out["dimensions_count"] = dimensions;
  out["alarms_count"] = 0;
  out["rrd_memory_bytes"] = host.memory_bytes();
  out["hosts_count"] = registry.hosts().size();
  ordered_json hosts = ordered_json::array();
  for (const auto& h : registry.hosts()) hosts.push_back({{"hostname", h->hostname()}});
  out["hosts"] = std::move(hosts);
  return out;
}

}  // namespace trib::parent::query
