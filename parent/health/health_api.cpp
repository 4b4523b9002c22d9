#include "parent/health/health_api.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

#include "parent/fleet/access.h"

namespace trib::parent::health {

namespace {

using nlohmann::ordered_json;

constexpr std::string_view kApiPrefix = "/api/v1/";
constexpr std::string_view kHostPrefix = "/host/";

query::ApiResponse json(const ordered_json& value) {
  // Hostnames and selectors come from outside and may not be UTF-8: replaced, never thrown.
  return query::ApiResponse{200,
                            "application/json",
                            value.dump(4, ' ', false, ordered_json::error_handler_t::replace),
                            {}};
}

query::ApiResponse text(int status, std::string body) {
  return query::ApiResponse{status, "text/plain; charset=utf-8", std::move(body), {}};
}

ordered_json number_or_null(double v) {
  if (std::isnan(v) || std::isinf(v)) return nullptr;
  return v;
}

ordered_json instance_json(const AlarmInstance& a, const std::string& exec) {
  const AlarmIdentity& id = a.id();
  const AlarmState& s = a.state;
  ordered_json j;
  j["id"] = id.alarm_id;
  j["name"] = id.name;
  j["chart"] = id.chart;
  j["context"] = id.context;
  j["family"] = id.family;
  j["active"] = true;
  j["disabled"] = a.disabled;
  j["silenced"] = a.silenced;
  j["exec"] = exec;
  j["recipient"] = id.recipient;
  j["source"] = id.source;
  j["units"] = id.units;
  j["info"] = id.info;
  j["status"] = to_string(s.status());
  j["last_status_change"] = s.last_status_change();
  j["last_updated"] = s.last_updated();
  j["next_update"] = a.next_update;
  j["update_every"] = a.rule != nullptr ? a.rule->every.count() : 1;
  j["delay_up_duration"] = s.delay().up.count();
  j["delay_down_duration"] = s.delay().down.count();
  j["delay_max_duration"] = s.delay().max.count();
  j["delay_multiplier"] = s.delay().multiplier;
  j["delay"] = s.delay_last();
  j["delay_up_to_timestamp"] = s.delay_up_to_timestamp();
  j["warn_repeat_every"] = std::to_string(s.repeat().warning.count());
  j["crit_repeat_every"] = std::to_string(s.repeat().critical.count());
  j["value_string"] = alarm_value_text(s.value(), id.units);
  j["last_repeat"] = std::to_string(s.last_repeat());
  j["times_repeat"] = s.times_repeat();
  if (a.rule != nullptr && a.rule->lookup.has_value()) {
    const Lookup& lookup = *a.rule->lookup;
    std::string dimensions;
    for (const auto& d : lookup.dimensions) dimensions += (dimensions.empty() ? "" : ",") + d;
    j["lookup_dimensions"] = dimensions.empty() ? ordered_json(nullptr) : ordered_json(dimensions);
    j["db_after"] = a.db_after;
    j["db_before"] = a.db_before;
    j["lookup_method"] = to_string(lookup.method);
    j["lookup_after"] = lookup.after_s;
    j["lookup_before"] = lookup.before_s;
    j["lookup_options"] = lookup.absolute ? "absolute" : "";
  }
  if (a.rule != nullptr) {
    const auto expression = [&j](const char* key, const std::optional<Expression>& e) {
      if (!e.has_value()) return;
      j[key] = e->source();
      j[std::string(key) + "_parsed"] = e->to_string();
    };
    expression("calc", a.rule->calc);
    expression("warn", a.rule->warn);
    expression("crit", a.rule->crit);
  }
  j["green"] = nullptr;
  j["red"] = nullptr;
  j["value"] = number_or_null(s.value());
  return j;
}

bool raised(AlarmStatus s) { return s == AlarmStatus::warning || s == AlarmStatus::critical; }

query::ApiResponse alarms_endpoint(const HealthService& service, const store::Host& host,
                                   const http::QueryParams& query, int64_t now) {
  const bool all = http::find_param(query, "all") != nullptr;
  const std::string& exec = service.options().notifications.exec;
  ordered_json alarms = ordered_json::object();
  for (const AlarmInstance* a : service.instances(host.machine_guid())) {
    if (!all && !raised(a->state.status())) continue;
    alarms[a->id().chart + "." + a->id().name] = instance_json(*a, exec);
  }
  ordered_json out;
  out["hostname"] = host.hostname();
  out["latest_alarm_log_unique_id"] = service.log().last_unique_id();
  out["status"] =
      service.options().enabled && host.health_policy().mode != store::HealthPolicy::Mode::no;
  out["now"] = now;
  out["alarms"] = std::move(alarms);
  return json(out);
}

query::ApiResponse alarm_log_endpoint(const HealthService& service, const store::Host& host,
                                      const http::QueryParams& query) {
  uint64_t after = 0;
  if (const std::string* given = http::find_param(query, "after"); given != nullptr) {
    const auto [end, ec] = std::from_chars(given->data(), given->data() + given->size(), after);
    if (ec != std::errc() || end != given->data() + given->size()) {
      return text(400, "after= must be an alarm log unique id, not '" + *given + "'");
    }
  }
  const std::string& exec = service.options().notifications.exec;
  auto entries = service.log().after(after, host.machine_guid());
  ordered_json out = ordered_json::array();
  for (auto it = entries.rbegin(); it != entries.rend(); ++it)
    out.push_back(alarm_log_entry_json(**it, exec));
  return json(out);
}

bool authorized(const http::HttpRequest& request, std::string_view admin_token) {
  if (admin_token.empty()) return false;
  const std::vector<std::string> accepted{std::string(admin_token)};
  if (const std::string* token = request.header("X-Auth-Token"); token != nullptr) {
    http::HttpRequest bearer;
    bearer.headers.set("Authorization", "Bearer " + *token);
    return fleet::check_access(bearer, accepted) == fleet::Access::allowed;
  }
  return fleet::check_access(request, accepted) == fleet::Access::allowed;
}

// Selectors of the request, if any: alarm=, chart=, context=, host=, families=.
std::optional<Silencers::Selector> selector_of(const http::QueryParams& query) {
  Silencers::Selector selector;
  bool any = false;
  for (const auto& [key, value] : query) {
    config::SimplePattern pattern(value);
    if (key == "alarm") {
      selector.alarms = pattern;
    } else if (key == "chart") {
      selector.charts = pattern;
    } else if (key == "context") {
      selector.contexts = pattern;
    } else if (key == "host" || key == "hosts") {
      selector.hosts = pattern;
    } else if (key == "families") {
      selector.families = pattern;
    } else {
      continue;
    }
    any = true;
  }
  if (!any) return std::nullopt;
  return selector;
}

query::ApiResponse manage_endpoint(HealthService& service, const http::HttpRequest& request,
                                   std::string_view admin_token) {
  if (admin_token.empty()) {
    return text(403,
                "The health management API is disabled: set fleet.admin_token (ADMIN_TOKEN) to "
                "use it.");
  }
  if (!authorized(request, admin_token))
    return text(403,
                "You are not allowed to access this "
                "resource.");
  Silencers s = service.silencers();
  const std::string* cmd = http::find_param(request.query, "cmd");
  std::string answer;
  if (cmd != nullptr) {
    if (*cmd == "RESET") {
      s = Silencers{};
      answer = "All health checks and notifications are enabled";
    } else if (*cmd == "DISABLE ALL") {
      s.all = true;
      s.type = Silencers::Type::disable;
      answer = "All health checks are disabled";
    } else if (*cmd == "SILENCE ALL") {
      s.all = true;
      s.type = Silencers::Type::silence;
      answer = "All alarm notifications are silenced";
    } else if (*cmd == "DISABLE") {
      s.type = Silencers::Type::disable;
      answer = "Health checks disabled for alarms matching the selectors";
    } else if (*cmd == "SILENCE") {
      s.type = Silencers::Type::silence;
      answer = "Alarm notifications silenced for alarms matching the selectors";
    } else if (*cmd == "LIST") {
      return json(silencers_to_json(s));
    } else {
      return text(400, "Invalid command: " + *cmd +
                           " (valid: RESET, DISABLE ALL, SILENCE ALL, DISABLE, SILENCE, LIST)");
    }
  }
  if (auto selector = selector_of(request.query)) {
    s.selectors.push_back(std::move(*selector));
    answer += answer.empty() ? "Alarm selector added" : "\nAlarm selector added";
  }
  if (answer.empty()) return text(400, "No command and no selector given (cmd=, alarm=, ...)");
  if (const Status saved = service.set_silencers(std::move(s)); !saved.ok()) {
    return text(500, answer + "\nbut it applies only until the parent restarts: " +
                         saved.error().describe());
  }
  return text(200, answer);
}

}  // namespace

std::string alarm_value_text(double v, const std::string& units) {
  if (std::isnan(v) || std::isinf(v)) return "-";
  std::string out = fmt::format("{:.2f}", v);
  if (!units.empty()) out += " " + units;
  return out;
}

ordered_json alarm_log_entry_json(const AlarmLogEntry& e, const std::string& exec) {
  ordered_json j;
  j["hostname"] = e.alarm.hostname;
  j["unique_id"] = e.unique_id;
  j["alarm_id"] = e.alarm.alarm_id;
  j["alarm_event_id"] = e.alarm_event_id;
  j["name"] = e.alarm.name;
  j["chart"] = e.alarm.chart;
  j["context"] = e.alarm.context;
  j["family"] = e.alarm.family;
  j["processed"] = e.processed;
  j["updated"] = e.updated_by_id != 0;
  j["exec_run"] = e.notified ? e.delay_up_to_timestamp : 0;
  j["exec_failed"] = false;
  j["exec"] = exec;
  j["recipient"] = e.alarm.recipient;
  j["exec_code"] = 0;
  j["source"] = e.alarm.source;
  j["units"] = e.alarm.units;
  j["when"] = e.when;
  j["duration"] = e.duration;
  j["non_clear_duration"] = e.non_clear_duration;
  j["status"] = to_string(e.new_status);
  j["old_status"] = to_string(e.old_status);
  j["delay"] = e.delay;
  j["delay_up_to_timestamp"] = e.delay_up_to_timestamp;
  j["updated_by_id"] = e.updated_by_id;
  j["updates_id"] = e.updates_id;
  j["value_string"] = alarm_value_text(e.new_value, e.alarm.units);
  j["old_value_string"] = alarm_value_text(e.old_value, e.alarm.units);
  j["silenced"] = e.silenced ? "true" : "false";
  j["info"] = e.alarm.info;
  j["value"] = number_or_null(e.new_value);
  j["old_value"] = number_or_null(e.old_value);
  return j;
}

std::optional<query::ApiResponse> handle_health_api(HealthService& service,
                                                    const store::HostRegistry& registry,
                                                    const http::HttpRequest& request,
                                                    std::string_view admin_token, int64_t now) {
  std::string_view path = request.path;
  const store::Host* host = &registry.localhost();
  if (path.substr(0, kHostPrefix.size()) == kHostPrefix) {
    const std::string_view rest = path.substr(kHostPrefix.size());
    const size_t slash = rest.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    host = registry.find(rest.substr(0, slash));
    path = rest.substr(slash);
  }
  if (path.substr(0, kApiPrefix.size()) != kApiPrefix) return std::nullopt;
  const std::string_view command = path.substr(kApiPrefix.size());
  if (command != "alarms" && command != "alarm_log" && command != "manage/health") {
    return std::nullopt;
  }
  if (host == nullptr) return std::nullopt;
  if (command == "alarms") return alarms_endpoint(service, *host, request.query, now);
  if (command == "alarm_log") return alarm_log_endpoint(service, *host, request.query);
  return manage_endpoint(service, request, admin_token);
}

}  // namespace trib::parent::health
