#include "parent/fleet/heartbeat.h"

#include <simdjson.h>

#include "common/http/message.h"

namespace trib::parent::fleet {
namespace {

using simdjson::dom::element;

Error invalid(std::string reason) { return Error(Errc::parse_error, std::move(reason)); }

// The top-level members a heartbeat keeps; the rest are only validated (by the parse).
struct KeptMembers {
  std::optional<element> id, version, schema, last, hostname, status, statistics, configurations,
      logs;

  // As a full parse into a map would: of repeated keys, the last one counts.
  void keep(std::string_view key, element value) {
    if (std::optional<element>* member = slot(key)) *member = value;
  }

  std::optional<element>* slot(std::string_view key) {
    if (key == "id") return &id;
    if (key == "version") return &version;
    if (key == "schema") return &schema;
    if (key == "last") return &last;
    if (key == "hostname") return &hostname;
    if (key == "status") return &status;
    if (key == "statistics") return &statistics;
    if (key == "configurations") return &configurations;
    if (key == "logs") return &logs;
    return nullptr;
  }
};

bool absent_or_null(const std::optional<element>& member) { return !member || member->is_null(); }

// The value of a string element (the caller checked is_string()).
std::string_view string_of(const element& value) {
  std::string_view text;
  return value.get_string().get(text) == simdjson::SUCCESS ? text : std::string_view();
}

// A member stored as text: a string's value, any other value's JSON; null or absent: none.
std::optional<std::string> member_text(const std::optional<element>& member) {
  if (absent_or_null(member)) return std::nullopt;
  if (member->is_string()) return std::string(string_of(*member));
  return simdjson::minify(*member);
}

// A member stored as JSON text, compact, in the order it was sent; null or absent: none.
std::optional<std::string> member_json(const std::optional<element>& member) {
  if (absent_or_null(member)) return std::nullopt;
  return simdjson::minify(*member);
}

std::optional<int64_t> member_integer(const std::optional<element>& member) {
  if (!member) return std::nullopt;
  int64_t n = 0;
  if (member->get_int64().get(n) == simdjson::SUCCESS) return n;
  // Above INT64_MAX: kept as its two's-complement bits, as a cast would.
  uint64_t u = 0;
  if (member->get_uint64().get(u) == simdjson::SUCCESS) return static_cast<int64_t>(u);
  return std::nullopt;
}

std::string parse_failure(simdjson::error_code error) {
  // simdjson holds integers in 64 bits; a longer one is valid JSON that cannot be stored.
  if (error == simdjson::NUMBER_ERROR) {
    return "the body is not valid JSON or holds a number outside the 64-bit range";
  }
  return std::string("the body is not valid JSON (") + simdjson::error_message(error) + ")";
}

}  // namespace

Result<Heartbeat> parse_heartbeat(std::string_view body) {
  // One parser per thread, reused: it keeps its buffers sized for the largest body so far.
  thread_local simdjson::dom::parser parser;
  element root;
  // The copy adds the padding simdjson reads past the end of its input.
  if (const auto error = parser.parse(body.data(), body.size(), true).get(root); error) {
    return invalid(parse_failure(error));
  }
  simdjson::dom::object object;
  if (root.get_object().get(object) != simdjson::SUCCESS) {
    return invalid("the body is not a JSON object");
  }
  KeptMembers kept;
  for (const auto member : object) kept.keep(member.key, member.value);

  if (absent_or_null(kept.id)) return invalid("`id` is missing");
  if (!kept.id->is_string()) return invalid("`id` is not a string");
  if (string_of(*kept.id).empty()) return invalid("`id` is empty");
  if (!kept.version) return invalid("`version` is missing");

  Heartbeat heartbeat;
  heartbeat.id = std::string(string_of(*kept.id));
  heartbeat.version = member_text(kept.version).value_or("");
  heartbeat.schema = member_integer(kept.schema).value_or(1);
  heartbeat.last = member_integer(kept.last);
  heartbeat.hostname = member_text(kept.hostname);
  heartbeat.reported_status = member_text(kept.status);
  heartbeat.statistics = member_json(kept.statistics);
  heartbeat.configurations = member_json(kept.configurations);
  heartbeat.logs = member_json(kept.logs);
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
