#include "parent/fleet/heartbeat.h"

#include <nlohmann/json.hpp>

#include "common/http/message.h"

namespace trib::parent::fleet {
namespace {

using nlohmann::json;

Error invalid(std::string reason) { return Error(Errc::parse_error, std::move(reason)); }

std::optional<std::string> member_text(const json& body, const char* name) {
  const auto it = body.find(name);
  if (it == body.end() || it->is_null()) return std::nullopt;
  return it->is_string() ? it->get<std::string>() : it->dump();
}

std::optional<std::string> member_json(const json& body, const char* name) {
  const auto it = body.find(name);
  if (it == body.end() || it->is_null()) return std::nullopt;
  return it->dump();
}

std::optional<int64_t> member_integer(const json& body, const char* name) {
  const auto it = body.find(name);
  if (it == body.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<int64_t>();
}

}  // namespace

Result<Heartbeat> parse_heartbeat(std::string_view body) {
  json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return invalid("the body is not valid JSON");
  if (!parsed.is_object()) return invalid("the body is not a JSON object");
  const auto id = parsed.find("id");
  if (id == parsed.end() || id->is_null()) return invalid("`id` is missing");
  if (!id->is_string()) return invalid("`id` is not a string");
  if (id->get_ref<const std::string&>().empty()) return invalid("`id` is empty");
  if (!parsed.contains("version")) return invalid("`version` is missing");

  Heartbeat heartbeat;
  heartbeat.id = id->get<std::string>();
  heartbeat.version = member_text(parsed, "version").value_or("");
  heartbeat.schema = member_integer(parsed, "schema").value_or(1);
  heartbeat.last = member_integer(parsed, "last");
  heartbeat.hostname = member_text(parsed, "hostname");
  heartbeat.reported_status = member_text(parsed, "status");
  heartbeat.statistics = member_json(parsed, "statistics");
  heartbeat.configurations = member_json(parsed, "configurations");
  heartbeat.logs = member_json(parsed, "logs");
  return heartbeat;
}

std::string agent_status(const std::optional<std::string>& reported) {
  if (!reported) return "ok";
  for (const char* status : {"ok", "warn", "fail", "undefined"}) {
    if (http::iequals(*reported, status)) return status;
  }
  return "undefined";
}

}  // namespace trib::parent::fleet
