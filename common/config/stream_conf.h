#pragma once
// stream.conf, in Netdata's INI syntax and with Netdata 1.37's keys:
//   [stream]          the sender: where this node streams to (agents, proxies)
//   [<API key GUID>]  receiver policy for children presenting that key      (type = api)
//   [<machine GUID>]  receiver policy for one child host, over its key's    (type = machine)
// A section without `type` serves as both, as in Netdata. Every key Netdata 1.37 defines is
// accepted; those Tributary does not implement yet produce one warning each (file:line), which
// the caller logs. Keys Netdata does not know are errors naming the file, line, section and the
// valid keys. Parsed once at start-up and on reload; the result is an immutable value.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/base/result.h"
#include "common/config/simple_pattern.h"
#include "common/net/tls.h"

namespace trib::config {

// One entry of `destination`: [tcp:]HOST[:PORT][:SSL], IPv6 hosts in brackets.
struct Destination {
  std::string host;   // without brackets
  uint16_t port = 0;  // the entry's port, or [stream] default port
  bool ssl = false;   // this entry's own :SSL suffix (not Netdata's "first :SSL for all" quirk)
  std::string text;   // as written, for logs
  bool operator==(const Destination&) const = default;
};

// Splits a space- or comma-separated destination list.
Result<std::vector<Destination>> parse_destinations(std::string_view text, uint16_t default_port);

struct StreamSender {
  bool enabled = false;
  std::vector<Destination> destinations;
  std::string api_key;
  std::chrono::seconds timeout{60};
  std::chrono::seconds reconnect_delay{5};
  size_t buffer_size_bytes = 10485760;
  uint16_t default_port = 19999;
  bool enable_compression = true;
  std::string send_charts_matching = "*";  // charts (id or name) the sender sends upstream
  // `ssl skip certificate verification`, `CAfile`, `CApath`, `ssl certificate`, `ssl key`:
  // used for the destinations marked :SSL.
  net::TlsClientOptions tls;
  bool operator==(const StreamSender&) const = default;
};

// Netdata's per-host proxy options: an [API_KEY] section's `default proxy enabled|destination|api
// key|send charts matching`, a [MACHINE_GUID] section's `proxy ...`. Each set value overrides the
// [stream] one for the hosts the section applies to (the machine's over the key's), so a parent
// may forward some of the hosts it receives, or send them elsewhere.
struct ProxyOverrides {
  std::optional<bool> enabled;
  std::optional<std::vector<Destination>> destinations;
  std::optional<std::string> api_key;
  std::optional<std::string> send_charts_matching;
  bool operator==(const ProxyOverrides&) const = default;
};

// What changed between two [stream] settings, for a log line ("destination 'a' -> 'b', api key
// changed"; the key itself is never written); empty when nothing did.
std::string describe_changes(const StreamSender& before, const StreamSender& after);

// Raw values of keys that are accepted but not implemented yet: key -> value.
using RawOptions = std::map<std::string, std::string>;

// `health enabled by default` / `health enabled`: yes, no, or auto (only while connected).
enum class HealthEnabled : uint8_t { no, yes, automatic };

// An [API_KEY] section.
struct KeyPolicy {
  bool enabled = false;
  SimplePattern allow_from{"*"};  // use allows(ip): an empty list allows everyone
  std::string default_memory_mode = "ram";
  uint32_t default_history = 3600;  // at least 5
  HealthEnabled health_enabled_by_default = HealthEnabled::automatic;
  uint32_t default_postpone_alarms_on_connect_s = 60;
  ProxyOverrides proxy;  // `default proxy ...`
  RawOptions other;
};

// A [MACHINE_GUID] section; unset values fall back to the key's (or the child's) values.
struct MachinePolicy {
  std::optional<bool> enabled;  // Netdata's default: yes
  std::optional<SimplePattern> allow_from;
  std::optional<std::string> memory_mode;
  std::optional<uint32_t> history;  // at least 5
  std::optional<HealthEnabled> health_enabled;
  std::optional<uint32_t> postpone_alarms_on_connect_s;
  ProxyOverrides proxy;  // `proxy ...`
  RawOptions other;
};

struct StreamConf {
  StreamSender stream;
  // Not-implemented keys and sections that can never match, with file:line, for the caller to log.
  std::vector<std::string> warnings;

  // The section for an API key (GUIDs compare case-insensitively); nullptr when there is none or
  // its type is not api.
  [[nodiscard]] const KeyPolicy* api_key(std::string_view key) const;
  // The section for a child's machine GUID; nullptr when there is none or its type is not machine.
  [[nodiscard]] const MachinePolicy* machine(std::string_view guid) const;
  // How a host received with `api_key` is forwarded: [stream], overridden by the key's
  // `default proxy ...` and the machine's `proxy ...` options. `enabled` false: not forwarded.
  // An empty key (not known) applies the machine's section only.
  [[nodiscard]] StreamSender forwarding(std::string_view api_key, std::string_view guid) const;

  std::map<std::string, KeyPolicy, std::less<>> keys;          // by lower-cased section name
  std::map<std::string, MachinePolicy, std::less<>> machines;  // by lower-cased section name
};

// Parses stream.conf text; `source_name` names it in errors and warnings.
Result<StreamConf> parse_stream_conf(std::string_view text, const std::string& source_name);

// A missing file gives the defaults (nothing streamed, no key accepted).
Result<StreamConf> load_stream_conf(const std::string& path);

}  // namespace trib::config
