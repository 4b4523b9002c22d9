#pragma once
// Telegraf's heartbeat message (outputs.heartbeat, JSON schema 1), as the heartbeat server
// receives it from Telegraf and from Tributary agents. Parsing only: no I/O, no thread.
//
// Lenient on purpose (future schemas, older agents): unknown members are ignored, a missing
// `schema` means 1 and a higher one is kept as sent. Refused (the reason goes into a 400):
// bytes that are not JSON, a body that is not an object, a missing, empty or non-string `id`,
// a missing `version`. Parsed with simdjson (the fleet thread parses every heartbeat; a DOM
// parse with nlohmann took 10 us of its ~30 us per heartbeat): so also refused, as "not valid
// JSON", are the two things it cannot hold: an integer outside the 64-bit range and nesting
// deeper than 1,024 levels. Of a repeated member the last one counts.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/base/result.h"

namespace trib::parent::fleet {

struct Heartbeat {
  std::string id;                              // the agent's identity
  std::string version;                         // "Telegraf 1.38.2 (git: HEAD@1a2b3c4d)"
  int64_t schema = 1;                          // the shape's version
  std::optional<int64_t> last;                 // last acknowledged send, after a failure
  std::optional<std::string> hostname;         // absent unless `hostname` is included
  std::optional<std::string> reported_status;  // as sent: "OK", "WARN", "FAIL", "UNDEFINED"
  std::optional<std::string> statistics;       // JSON text of the member, as sent (compact)
  std::optional<std::string> configurations;   // JSON text
  std::optional<std::string> logs;             // JSON text
  std::string peer_address;                    // filled by the server, not from the body
};

// Errc::parse_error with the reason for the client ("`id` is missing").
Result<Heartbeat> parse_heartbeat(std::string_view body);

// The registry's status for a reported one: OK -> ok, WARN -> warn, FAIL -> fail,
// UNDEFINED -> undefined (any case); absent means ok (the agent is reporting); anything else
// is undefined.
std::string agent_status(const std::optional<std::string>& reported);

}  // namespace trib::parent::fleet
