#include "parent/fleet/fleet_api.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <ctime>
#include <nlohmann/json.hpp>

#include "common/log/log.h"
#include "parent/fleet/access.h"
#include "parent/fleet/toml_template.h"

namespace trib::parent::fleet {
namespace {

using Json = nlohmann::ordered_json;
using http::HttpRequest;
using http::HttpResponse;

constexpr std::string_view kAgents = "/api/agents";
constexpr std::string_view kRules = "/api/reporting-rules";
constexpr std::string_view kConfigs = "/api/configs";
constexpr int64_t kMaxPageSize = 1000;

bool under(std::string_view path, std::string_view prefix) {
  return path == prefix || (path.substr(0, prefix.size()) == prefix &&
                            path.size() > prefix.size() && path[prefix.size()] == '/');
}

// The path segments after `prefix`: "/api/configs/x/toml" -> {"x", "toml"}.
std::vector<std::string> segments_after(std::string_view path, std::string_view prefix) {
  std::vector<std::string> parts;
  std::string_view rest = path.substr(prefix.size());
  while (!rest.empty()) {
    if (rest.front() == '/') rest.remove_prefix(1);
    const size_t slash = rest.find('/');
    parts.emplace_back(rest.substr(0, slash));
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash);
  }
  return parts;
}

std::string iso8601(int64_t unix_seconds) {
  const auto t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

HttpResponse json_response(int status, const Json& body) {
  return HttpResponse::json(status, body.dump());
}

HttpResponse database_error(const Error& error) {
  if (error.is(Errc::not_found)) return json_error(404, "not_found", error.message);
  if (error.is(Errc::refused)) return json_error(409, "conflict", error.message);
  TRIB_LOG(registry, error, "[fleet api] {}", error.describe());
  return json_error(503, "unavailable", "the fleet database is unavailable");
}

HttpResponse method_not_allowed(std::string_view allowed) {
  auto response = json_error(405, "method_not_allowed", fmt::format("use {}", allowed));
  response.headers.set("Allow", std::string(allowed));
  return response;
}

bool reading(const HttpRequest& request) {
  return request.method == "GET" || request.method == "HEAD";
}

Json parsed_json(const std::string& text) {
  return Json::parse(text, nullptr, /*allow_exceptions=*/false);
}

// JSON text stored from a heartbeat, or null when absent/unreadable.
Json stored_json(const std::optional<std::string>& text) {
  if (!text) return nullptr;
  Json value = parsed_json(*text);
  return value.is_discarded() ? Json(nullptr) : value;
}

// "Telegraf 1.38.2 (git: ...)" -> "1.38.2"; null for other agents.
Json telegraf_version(const std::string& version) {
  constexpr std::string_view kPrefix = "Telegraf ";
  if (version.substr(0, kPrefix.size()) != kPrefix) return nullptr;
  const std::string rest = version.substr(kPrefix.size());
  return rest.substr(0, rest.find(' '));
}

// Splits the reported configuration sources into the ones this parent serves and the others.
Json configurations_json(const std::optional<std::string>& text) {
  Json managed = Json::array();
  Json external = Json::array();
  const Json sources = stored_json(text);
  if (sources.is_array()) {
    for (const auto& source : sources) {
      if (!source.is_string()) continue;
      const std::string url = source.get<std::string>();
      const size_t at = url.find("/api/configs/");
      const size_t id_begin = at == std::string::npos ? at : at + 13;
      const size_t id_end = at == std::string::npos ? at : url.find('/', id_begin);
      if (id_end != std::string::npos && url.compare(id_end, 5, "/toml") == 0) {
        managed.push_back(
            Json{{"configId", url.substr(id_begin, id_end - id_begin)}, {"url", url}});
      } else {
        external.push_back(url);
      }
    }
  }
  return Json{{"managed", managed}, {"external", external}};
}

Json agent_json(const AgentRecord& agent, bool with_logs) {
  Json j;
  j["id"] = agent.id;
  j["hostname"] = agent.hostname ? Json(*agent.hostname) : Json(nullptr);
  j["ipAddress"] = agent.address;
  j["telegrafVersion"] = telegraf_version(agent.version);
  j["versionString"] = agent.version;
  j["status"] = agent.status;
  j["reportedStatus"] = agent.reported_status ? Json(*agent.reported_status) : Json(nullptr);
  j["schema"] = agent.schema;
  j["lastSeen"] = iso8601(agent.last_seen);
  j["createdAt"] = iso8601(agent.first_seen);
  j["reportingRuleId"] = agent.rule_id ? Json(*agent.rule_id) : Json(nullptr);
  j["statistics"] = stored_json(agent.statistics);
  j["configurations"] = configurations_json(agent.configurations);
  if (agent.last) j["last"] = *agent.last;
  if (with_logs) {
    Json logs = stored_json(agent.logs);
    j["logs"] = logs.is_array() ? logs : Json::array();
  }
  return j;
}

Json rule_json(const ReportingRule& rule) {
  return Json{{"id", rule.id},
              {"description", rule.description},
              {"heartbeatIntervalSeconds", rule.heartbeat_interval_s},
              {"thresholdMultiplier", rule.threshold_multiplier},
              {"notReportingThresholdSeconds", rule.not_reporting_threshold_s()},
              {"autoDeleteEnabled", rule.auto_delete_enabled},
              {"autoDeleteThresholdSeconds", rule.auto_delete_threshold_s},
              {"isDefault", rule.is_default},
              {"agentCount", rule.agent_count}};
}

Json config_json(const TelegrafConfig& config, bool with_toml) {
  Json j{{"id", config.id},
         {"name", config.name},
         {"description", config.description},
         {"createdAt", iso8601(config.created_at)},
         {"updatedAt", iso8601(config.updated_at)}};
  if (with_toml) {
    j["toml"] = config.toml;
    Json parameters = Json::array();
    for (const auto& p : template_parameters(config.toml)) {
      parameters.push_back(Json{{"name", p.name},
                                {"default", p.default_value ? Json(*p.default_value) : Json()},
                                {"required", !p.default_value}});
    }
    j["parameters"] = parameters;
  }
  return j;
}

std::optional<int64_t> integer_param(const HttpRequest& request, std::string_view name) {
  const std::string* text = http::find_param(request.query, name);
  if (text == nullptr) return std::nullopt;
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size()) return std::nullopt;
  return value;
}

// ---- agents

HttpResponse list_agents(FleetRegistry& registry, const HttpRequest& request) {
  AgentQuery query;
  for (const auto& [name, value] : request.query) {
    if (name != "status") continue;
    size_t start = 0;
    for (;;) {
      const size_t comma = value.find(',', start);
      std::string status = value.substr(start, comma - start);
      if (status == "notReporting") status = "not_reporting";
      if (!status.empty()) query.statuses.push_back(std::move(status));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  if (const auto* hostname = http::find_param(request.query, "hostname")) {
    query.hostname = *hostname;
  }
  if (const auto* search = http::find_param(request.query, "search")) {
    query.hostname = "*" + *search + "*";
  }
  if (const auto* sort_by = http::find_param(request.query, "sortBy")) query.sort_by = *sort_by;
  if (const auto* order = http::find_param(request.query, "sortOrder")) {
    query.descending = *order == "desc";
  }
  query.page = std::max<int64_t>(1, integer_param(request, "page").value_or(1));
  query.page_size =
      std::clamp<int64_t>(integer_param(request, "pageSize").value_or(50), 1, kMaxPageSize);
  auto page = registry.list_agents(query);
  if (!page.ok()) return database_error(page.error());
  Json agents = Json::array();
  for (const auto& agent : page->agents) agents.push_back(agent_json(agent, false));
  return json_response(200, Json{{"agents", agents},
                                 {"total", page->total},
                                 {"page", query.page},
                                 {"pageSize", query.page_size}});
}

HttpResponse summary(FleetRegistry& registry) {
  auto s = registry.summary();
  if (!s.ok()) return database_error(s.error());
  return json_response(200, Json{{"total", s->total},
                                 {"ok", s->ok},
                                 {"warn", s->warn},
                                 {"fail", s->fail},
                                 {"undefined", s->undefined},
                                 {"notReporting", s->not_reporting}});
}

HttpResponse assign_rule(FleetRegistry& registry, const HttpRequest& request,
                         std::vector<std::string> ids) {
  const Json body = parsed_json(request.body);
  if (!body.is_object() || !body.contains("reportingRuleId") ||
      !body["reportingRuleId"].is_string()) {
    return json_error(400, "invalid_request", "expected {\"reportingRuleId\": \"...\"}");
  }
  if (body.contains("ids")) {
    if (!body["ids"].is_array()) return json_error(400, "invalid_request", "`ids` is not a list");
    for (const auto& id : body["ids"]) {
      if (id.is_string()) ids.push_back(id.get<std::string>());
    }
  }
  const std::string pattern = body.value("hostname", std::string());
  if (ids.empty() && pattern.empty()) {
    return json_error(400, "invalid_request", "name agents by `ids` or a `hostname` pattern");
  }
  auto updated = registry.assign_rule(body["reportingRuleId"].get<std::string>(), ids, pattern);
  if (!updated.ok()) return database_error(updated.error());
  return json_response(200, Json{{"updated", *updated}});
}

HttpResponse agents(FleetRegistry& registry, const HttpRequest& request) {
  const auto parts = segments_after(request.path, kAgents);
  if (parts.empty())
    return reading(request) ? list_agents(registry, request) : method_not_allowed("GET");
  if (parts.size() == 1 && parts[0] == "summary") {
    return reading(request) ? summary(registry) : method_not_allowed("GET");
  }
  if (parts.size() == 1 && parts[0] == "reporting-rule") {
    return request.method == "POST" ? assign_rule(registry, request, {})
                                    : method_not_allowed("POST");
  }
  if (parts.size() == 2 && parts[1] == "reporting-rule") {
    return request.method == "PUT" ? assign_rule(registry, request, {parts[0]})
                                   : method_not_allowed("PUT");
  }
  if (parts.size() != 1) return json_error(404, "not_found", "no such agent resource");
  const std::string& id = parts[0];
  if (reading(request)) {
    auto agent = registry.find_agent(id);
    if (!agent.ok()) return database_error(agent.error());
    if (!*agent) return json_error(404, "not_found", "no agent '" + id + "'");
    return json_response(200, agent_json(**agent, true));
  }
  if (request.method == "DELETE") {
    auto deleted = registry.delete_agent(id);
    if (!deleted.ok()) return database_error(deleted.error());
    if (!*deleted) return json_error(404, "not_found", "no agent '" + id + "'");
    return HttpResponse{204, {}, {}};
  }
  return method_not_allowed("GET, DELETE");
}

// ---- reporting rules

// Applies the members of `body` to `rule`; an error message names the first bad member.
std::optional<std::string> apply_rule_fields(const Json& body, ReportingRule& rule) {
  if (!body.is_object()) return "the body is not a JSON object";
  struct Bound {
    const char* name;
    int64_t ReportingRule::*member;
    int64_t min, max;
  };
  static constexpr Bound kIntegers[] = {
      {"heartbeatIntervalSeconds", &ReportingRule::heartbeat_interval_s, 1, 30 * 86400},
      {"thresholdMultiplier", &ReportingRule::threshold_multiplier, 1, 1000},
      {"autoDeleteThresholdSeconds", &ReportingRule::auto_delete_threshold_s, 1, 3650 * 86400},
  };
  for (const Bound& b : kIntegers) {
    if (!body.contains(b.name)) continue;
    const Json& v = body[b.name];
    if (!v.is_number_integer() || v.get<int64_t>() < b.min || v.get<int64_t>() > b.max) {
      return fmt::format("`{}` must be an integer from {} to {}", b.name, b.min, b.max);
    }
    rule.*(b.member) = v.get<int64_t>();
  }
  if (body.contains("description")) {
    if (!body["description"].is_string() || body["description"].get<std::string>().size() > 1024) {
      return "`description` must be a string of at most 1024 characters";
    }
    rule.description = body["description"].get<std::string>();
  }
  if (body.contains("autoDeleteEnabled")) {
    if (!body["autoDeleteEnabled"].is_boolean()) return "`autoDeleteEnabled` must be true or false";
    rule.auto_delete_enabled = body["autoDeleteEnabled"].get<bool>();
  }
  if (body.contains("isDefault")) {
    if (!body["isDefault"].is_boolean()) return "`isDefault` must be true or false";
    rule.is_default = body["isDefault"].get<bool>();
  }
  return std::nullopt;
}

HttpResponse rules(FleetRegistry& registry, const HttpRequest& request) {
  const auto parts = segments_after(request.path, kRules);
  if (parts.empty()) {
    if (reading(request)) {
      auto all = registry.list_rules();
      if (!all.ok()) return database_error(all.error());
      Json list = Json::array();
      for (const auto& rule : *all) list.push_back(rule_json(rule));
      return json_response(200, Json{{"reportingRules", list}});
    }
    if (request.method != "POST") return method_not_allowed("GET, POST");
    ReportingRule rule;
    if (auto bad = apply_rule_fields(parsed_json(request.body), rule)) {
      return json_error(400, "invalid_request", *bad);
    }
    auto created = registry.create_rule(rule);
    if (!created.ok()) return database_error(created.error());
    return json_response(201, rule_json(*created));
  }
  const std::string& id = parts[0];
  if (parts.size() == 2 && parts[1] == "default") {
    if (request.method != "POST") return method_not_allowed("POST");
    if (auto made = registry.make_default_rule(id); !made.ok()) return database_error(made.error());
  } else if (parts.size() != 1) {
    return json_error(404, "not_found", "no such reporting-rule resource");
  } else if (request.method == "DELETE") {
    if (auto deleted = registry.delete_rule(id); !deleted.ok()) {
      return database_error(deleted.error());
    }
    return HttpResponse{204, {}, {}};
  } else if (request.method == "PUT" || request.method == "PATCH") {
    auto stored = registry.find_rule(id);
    if (!stored.ok()) return database_error(stored.error());
    if (!*stored) return json_error(404, "not_found", "no reporting rule '" + id + "'");
    ReportingRule rule = **stored;
    const bool was_default = rule.is_default;
    if (auto bad = apply_rule_fields(parsed_json(request.body), rule)) {
      return json_error(400, "invalid_request", *bad);
    }
    if (was_default && !rule.is_default) {
      return json_error(409, "conflict", "make another rule the default instead");
    }
    if (auto updated = registry.update_rule(rule); !updated.ok()) {
      return database_error(updated.error());
    }
    if (rule.is_default && !was_default) {
      if (auto made = registry.make_default_rule(id); !made.ok()) {
        return database_error(made.error());
      }
    }
  } else if (!reading(request)) {
    return method_not_allowed("GET, PUT, PATCH, DELETE");
  }
  auto rule = registry.find_rule(id);
  if (!rule.ok()) return database_error(rule.error());
  if (!*rule) return json_error(404, "not_found", "no reporting rule '" + id + "'");
  return json_response(200, rule_json(**rule));
}

// ---- Telegraf configs

// Applies name/description/toml from `body`; `creating` requires name and toml.
std::optional<HttpResponse> apply_config_fields(const Json& body, TelegrafConfig& config,
                                                bool creating) {
  if (!body.is_object()) return json_error(400, "invalid_request", "the body is not a JSON object");
  for (const char* name : {"name", "description", "toml"}) {
    if (body.contains(name) && !body[name].is_string()) {
      return json_error(400, "invalid_request", fmt::format("`{}` must be a string", name));
    }
  }
  if (creating && (!body.contains("name") || !body.contains("toml"))) {
    return json_error(400, "invalid_request", "a config needs `name` and `toml`");
  }
  if (body.contains("name")) config.name = body["name"].get<std::string>();
  if (body.contains("description")) config.description = body["description"].get<std::string>();
  if (body.contains("toml")) config.toml = body["toml"].get<std::string>();
  if (config.name.empty() || config.name.size() > 255) {
    return json_error(400, "invalid_request", "`name` must have 1 to 255 characters");
  }
  if (Status valid = validate_template(config.toml); !valid.ok()) {
    return json_error(400, "invalid_toml",
                      "the TOML template is invalid: " + valid.error().message);
  }
  return std::nullopt;
}

// Telegraf reads the same URL with GET and HEAD; both get the same status and headers.
HttpResponse render_toml(const TelegrafConfig& config, const HttpRequest& request) {
  bool bad_value = false;
  const RenderedTemplate rendered =
      render_template(config.toml, [&](std::string_view name) -> std::optional<std::string> {
        std::optional<std::string> joined;
        for (const auto& [key, value] : request.query) {
          if (key != name) continue;
          // The Controller's 4-character separator: `["&{urls}"]` becomes a list of strings.
          joined = joined ? *joined + "\", \"" + value : value;
          bad_value = bad_value || value.find_first_of("\r\n") != std::string::npos;
        }
        return joined;
      });
  if (!rendered.missing.empty()) {
    Json body{{"error", "missing_parameters"},
              {"missing", rendered.missing},
              {"message", "missing required parameter(s): " +
                              fmt::format("{}", fmt::join(rendered.missing, ", "))}};
    return json_response(400, body);
  }
  if (bad_value) {
    // Values go into the TOML as they are: a line break would let a query add whole sections.
    return json_error(400, "invalid_parameter", "parameter values cannot contain line breaks");
  }
  HttpResponse response{200, {}, rendered.text};
  const std::string* accept = request.header("Accept");
  if (accept != nullptr && accept->find("application/octet-stream") != std::string::npos) {
    std::string filename = config.name;
    for (char& c : filename) {
      if (c == '"' || c == '\\' || c == '/' || static_cast<unsigned char>(c) < 0x20) c = '_';
    }
    response.headers.set("Content-Type", "application/octet-stream");
    response.headers.set("Content-Disposition", "attachment; filename=\"" + filename + ".toml\"");
  } else {
    response.headers.set("Content-Type", "text/x-toml; charset=utf-8");
  }
  response.headers.set("Last-Modified", http::http_date(config.updated_at));
  // FNV-1a of the rendered bytes: the same text (same parameters, same version) keeps its tag.
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (const char c : rendered.text)
    hash = (hash ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
  response.headers.set("ETag", fmt::format("\"{:016x}\"", hash));
  response.headers.set("Cache-Control", "no-cache");
  return response;
}

HttpResponse configs(FleetRegistry& registry, const HttpRequest& request, int64_t now_s) {
  const auto parts = segments_after(request.path, kConfigs);
  if (parts.empty()) {
    if (reading(request)) {
      auto all = registry.list_configs();
      if (!all.ok()) return database_error(all.error());
      Json list = Json::array();
      for (const auto& config : *all) list.push_back(config_json(config, false));
      return json_response(200, Json{{"configs", list}, {"total", all->size()}});
    }
    if (request.method != "POST") return method_not_allowed("GET, POST");
    TelegrafConfig config;
    if (auto bad = apply_config_fields(parsed_json(request.body), config, true)) return *bad;
    auto created = registry.create_config(std::move(config), now_s);
    if (!created.ok()) return database_error(created.error());
    return json_response(201, config_json(*created, true));
  }
  if (parts.size() > 2 || (parts.size() == 2 && parts[1] != "toml")) {
    return json_error(404, "not_found", "no such config resource");
  }
  const std::string& id = parts[0];
  if (request.method == "DELETE" && parts.size() == 1) {
    auto deleted = registry.delete_config(id);
    if (!deleted.ok()) return database_error(deleted.error());
    if (!*deleted) return json_error(404, "not_found", "no config '" + id + "'");
    return HttpResponse{204, {}, {}};
  }
  auto stored = registry.find_config(id);
  if (!stored.ok()) return database_error(stored.error());
  if (!*stored) return json_error(404, "not_found", "no config '" + id + "'");
  if (parts.size() == 2) {
    return reading(request) ? render_toml(**stored, request) : method_not_allowed("GET, HEAD");
  }
  if (reading(request)) return json_response(200, config_json(**stored, true));
  if (request.method != "PUT" && request.method != "PATCH") {
    return method_not_allowed("GET, PUT, PATCH, DELETE");
  }
  TelegrafConfig config = **stored;
  if (auto bad = apply_config_fields(parsed_json(request.body), config, false)) return *bad;
  auto updated = registry.update_config(config, now_s);
  if (!updated.ok()) return database_error(updated.error());
  return json_response(200, config_json(*updated, true));
}

}  // namespace

bool is_fleet_path(std::string_view path) {
  return under(path, kAgents) || under(path, kRules) || under(path, kConfigs);
}

std::optional<HttpResponse> refuse_access(const FleetApiOptions& options,
                                          const HttpRequest& request) {
  if (reading(request)) {
    const Access access = check_access(request, {options.read_token, options.admin_token});
    if (options.read_token.empty() || access == Access::allowed) return std::nullopt;
    return unauthorized(access);
  }
  if (options.admin_token.empty()) {
    return json_error(403, "forbidden",
                      "changes need an admin token, and none is configured (fleet.admin_token, "
                      "ADMIN_TOKEN or --admin-token)");
  }
  const Access access = check_access(request, {options.admin_token});
  if (access == Access::allowed) return std::nullopt;
  return unauthorized(access);
}

HttpResponse route_fleet_request(FleetRegistry& registry, const HttpRequest& request,
                                 int64_t now_s) {
  if (under(request.path, kAgents)) return agents(registry, request);
  if (under(request.path, kRules)) return rules(registry, request);
  if (under(request.path, kConfigs)) return configs(registry, request, now_s);
  return json_error(404, "not_found", "not a fleet API path");
}

FleetApi::FleetApi(event::Loop& loop, FleetService& fleet, FleetApiOptions options)
    : fleet_(fleet),
      options_(std::move(options)),
      way_back_(std::make_shared<ReturnPath>(loop)),
      waiting_(std::make_shared<Waiting>()) {}

FleetApi::~FleetApi() { way_back_->detach(); }

void FleetApi::handle(http::HttpRequest&& request, http::Responder responder) {
  if (auto refused = refuse_access(options_, request)) {
    responder.respond(std::move(*refused));
    return;
  }
  const uint64_t id = waiting_->next_id++;
  waiting_->responders.emplace(id, std::move(responder));
  fleet_.post([request = std::move(request), id, way_back = way_back_,
               waiting = std::weak_ptr<Waiting>(waiting_)](FleetRegistry& registry,
                                                           const time::Clock& clock) {
    HttpResponse response = route_fleet_request(registry, request, clock.now_s());
    way_back->post([waiting, id, response = std::move(response)]() mutable {
      auto alive = waiting.lock();
      if (!alive) return;
      auto it = alive->responders.find(id);
      if (it == alive->responders.end()) return;
      it->second.respond(std::move(response));
      alive->responders.erase(it);
    });
  });
}

}  // namespace trib::parent::fleet
