#include "common/config/stream_conf.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/config/machine_guid.h"

namespace trib::config {
namespace {

// Which sections a key belongs to.
enum SectionMask : unsigned { kStream = 1, kApi = 2, kMachine = 4 };

enum class Kind { boolean, tristate, text, number, memory_mode, pattern, type };

struct KeyDef {
  std::string_view name;
  unsigned sections;
  Kind kind;
  unsigned implemented_in;  // the sections where Tributary applies it
};

// Every key Netdata 1.37 reads from stream.conf (streaming/rrdpush.c, receiver.c, sender.c).
constexpr std::array<KeyDef, 39> kKeys{{
    // [stream]
    {"enabled", kStream | kApi | kMachine, Kind::boolean, kStream | kApi | kMachine},
    {"destination", kStream, Kind::text, kStream},
    {"api key", kStream, Kind::text, kStream},
    {"timeout seconds", kStream, Kind::number, kStream},
    {"reconnect delay seconds", kStream, Kind::number, kStream},
    {"buffer size bytes", kStream, Kind::number, kStream},
    {"default port", kStream, Kind::number, kStream},
    {"enable compression", kStream | kApi | kMachine, Kind::boolean, kStream},
    {"send charts matching", kStream, Kind::pattern, kStream},
    {"initial clock resync iterations", kStream, Kind::number, 0},
    {"ssl skip certificate verification", kStream, Kind::boolean, kStream},
    {"CApath", kStream, Kind::text, kStream},
    {"CAfile", kStream, Kind::text, kStream},
    // Tributary's own: the client certificate for mutual TLS (Netdata has none).
    {"ssl certificate", kStream, Kind::text, kStream},
    {"ssl key", kStream, Kind::text, kStream},
    // Netdata's netdata.conf `[web] tls ciphers` (TLS 1.3 suites), for the sender's side.
    {"tls ciphers", kStream, Kind::text, kStream},
    // [API_KEY]
    {"type", kApi | kMachine, Kind::type, kApi | kMachine},
    {"allow from", kApi | kMachine, Kind::pattern, kApi | kMachine},
    {"default history", kApi, Kind::number, kApi},
    {"default memory mode", kApi, Kind::memory_mode, kApi},
    {"health enabled by default", kApi, Kind::tristate, kApi},
    {"default postpone alarms on connect seconds", kApi, Kind::number, kApi},
    {"default proxy enabled", kApi, Kind::boolean, kApi},
    {"default proxy destination", kApi, Kind::text, kApi},
    {"default proxy api key", kApi, Kind::text, kApi},
    {"default proxy send charts matching", kApi, Kind::pattern, kApi},
    {"enable replication", kApi | kMachine, Kind::boolean, 0},
    {"seconds to replicate", kApi | kMachine, Kind::number, 0},
    {"seconds per replication step", kApi | kMachine, Kind::number, 0},
    // [MACHINE_GUID]
    {"update every", kMachine, Kind::number, 0},
    {"history", kMachine, Kind::number, kMachine},
    {"memory mode", kMachine, Kind::memory_mode, kMachine},
    {"health enabled", kMachine, Kind::tristate, kMachine},
    {"postpone alarms on connect seconds", kMachine, Kind::number, kMachine},
    {"proxy enabled", kMachine, Kind::boolean, kMachine},
    {"proxy destination", kMachine, Kind::text, kMachine},
    {"proxy api key", kMachine, Kind::text, kMachine},
    {"proxy send charts matching", kMachine, Kind::pattern, kMachine},
    {"host tags", kMachine, Kind::text, 0},
}};

constexpr std::array<std::string_view, 6> kMemoryModes{"none", "ram", "dbengine",
                                                       "save", "map", "alloc"};
constexpr uint32_t kMinHistory = 5;  // Netdata raises smaller histories to this

struct RawOption {
  std::string key;
  std::string value;
  int line = 0;
};

struct RawSection {
  std::string name;
  int line = 0;
  std::vector<RawOption> options;  // later duplicates override earlier ones when applied
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) {
    s.remove_prefix(1);
  }
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  Result<StreamConf> read(std::string_view text) {
    TRIB_ASSIGN_OR_RETURN(std::vector<RawSection> sections, split_sections(text));
    StreamConf conf;
    for (const RawSection& section : sections) {
      if (section.name == "stream") {
        TRIB_TRY(apply_stream(section, conf));
      } else {
        TRIB_TRY(apply_receiver_section(section, conf));
      }
    }
    TRIB_TRY(apply_proxy_destinations(conf));
    conf.warnings = std::move(warnings_);
    return conf;
  }

 private:
  std::string at(int line) const { return fmt::format("{}:{}", source_, line); }

  Error error(int line, std::string_view what) const {
    return Error(Errc::config_error, fmt::format("{}: {}", at(line), what));
  }

  // Lines into sections; repeated section headers continue the earlier section, as in Netdata.
  Result<std::vector<RawSection>> split_sections(std::string_view text) const {
    std::vector<RawSection> sections;
    RawSection* current = nullptr;
    int line_number = 0;
    while (!text.empty()) {
      const size_t nl = text.find('\n');
      const std::string_view line = trim(text.substr(0, nl));
      text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
      ++line_number;
      if (line.empty() || line.front() == '#' || line.front() == ';') continue;
      if (line.front() == '[') {
        if (line.back() != ']' || line.size() < 3) {
          return error(line_number, fmt::format("bad section header '{}'; expected [name]", line));
        }
        const std::string name(trim(line.substr(1, line.size() - 2)));
        auto it = std::find_if(sections.begin(), sections.end(),
                               [&](const RawSection& s) { return s.name == name; });
        if (it == sections.end()) {
          sections.push_back(RawSection{name, line_number, {}});
          it = sections.end() - 1;
        }
        current = &*it;
        continue;
      }
      const size_t eq = line.find('=');
      if (eq == std::string_view::npos) {
        return error(line_number, fmt::format("expected 'key = value', found '{}'", line));
      }
      if (current == nullptr) {
        return error(line_number,
                     "an option before any [section]; put it under [stream] or a "
                     "[API key] section");
      }
      current->options.push_back(RawOption{std::string(trim(line.substr(0, eq))),
                                           std::string(trim(line.substr(eq + 1))), line_number});
    }
    return sections;
  }

  static const KeyDef* find_key(std::string_view name, unsigned mask) {
    for (const KeyDef& def : kKeys) {
      if (def.name == name && (def.sections & mask) != 0) return &def;
    }
    return nullptr;
  }

  static std::string valid_keys(unsigned mask) {
    std::string out;
    for (const KeyDef& def : kKeys) {
      if ((def.sections & mask) == 0) continue;
      if (!out.empty()) out += ", ";
      out += def.name;
    }
    return out;
  }

  // The definition of a key in a section of kind `mask`, after checking its value's syntax.
  Result<const KeyDef*> check_option(const RawSection& section, const RawOption& option,
                                     unsigned mask) {
    const KeyDef* def = find_key(option.key, mask);
    if (def == nullptr) {
      // Netdata's stock file documents `replication_step`, which its code never reads.
      const std::string_view hint = option.key == "replication_step"
                                        ? " (Netdata ignores it: the option it reads is "
                                          "'seconds per replication step')"
                                        : "";
      return error(option.line, fmt::format("unknown key '{}' in section [{}]{}; valid keys: {}",
                                            option.key, section.name, hint, valid_keys(mask)));
    }
    TRIB_TRY(check_value(*def, section, option));
    if ((def->implemented_in & mask) == 0) {
      warnings_.push_back(
          fmt::format("{}: [{}] '{}' is a Netdata option Tributary does not implement yet; ignored",
                      at(option.line), section.name, option.key));
    }
    return def;
  }

  Error value_error(const RawSection& section, const RawOption& option,
                    std::string_view what) const {
    return error(option.line,
                 fmt::format("[{}] {}: '{}' {}", section.name, option.key, option.value, what));
  }

  Status check_value(const KeyDef& def, const RawSection& section, const RawOption& option) const {
    switch (def.kind) {
      case Kind::boolean:
        if (parse_bool(option.value, false).has_value()) return ok_status();
        return value_error(section, option,
                           "is not a boolean (yes, no, true, false, on, off, 1, 0)");
      case Kind::tristate:
        if (parse_bool(option.value, true).has_value()) return ok_status();
        return value_error(section, option, "is not yes, no or auto");
      case Kind::number:
        if (parse_number(option.value).has_value()) return ok_status();
        return value_error(section, option, "is not a non-negative integer");
      case Kind::memory_mode:
        if (std::find(kMemoryModes.begin(), kMemoryModes.end(), option.value) !=
            kMemoryModes.end()) {
          return ok_status();
        }
        return value_error(section, option,
                           "is not a memory mode (none, ram, dbengine, save, map, alloc)");
      case Kind::type:
        if (option.value == "api" || option.value == "machine") return ok_status();
        return value_error(section, option, "is not a section type (api or machine)");
      case Kind::text:
      case Kind::pattern:
        return ok_status();
    }
    return ok_status();
  }

  // yes/no/true/false/on/off/1/0 (any case), and auto (as true) where `allow_auto`.
  static std::optional<bool> parse_bool(std::string_view text, bool allow_auto) {
    const std::string v = lower(text);
    if (v == "yes" || v == "true" || v == "on" || v == "1") return true;
    if (v == "no" || v == "false" || v == "off" || v == "0") return false;
    if (allow_auto && v == "auto") return true;
    return std::nullopt;
  }

  static std::optional<uint64_t> parse_number(std::string_view text) {
    uint64_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return v;
  }

  Result<uint64_t> bounded(const RawSection& section, const RawOption& option, uint64_t min,
                           uint64_t max) const {
    const uint64_t v = *parse_number(option.value);
    if (v < min || v > max) {
      return value_error(section, option, fmt::format("is out of range; valid: {}..{}", min, max));
    }
    return v;
  }

  Status apply_stream(const RawSection& section, StreamConf& conf) {
    StreamSender& s = conf.stream;
    const RawOption* destination = nullptr;
    for (const RawOption& o : section.options) {
      TRIB_ASSIGN_OR_RETURN(const KeyDef* def, check_option(section, o, kStream));
      const std::string_view k = def->name;
      if (k == "enabled") s.enabled = *parse_bool(o.value, false);
      if (k == "destination") destination = &o;
      if (k == "api key") s.api_key = o.value;
      if (k == "enable compression") s.enable_compression = *parse_bool(o.value, false);
      if (k == "send charts matching") s.send_charts_matching = o.value;
      if (k == "ssl skip certificate verification") {
        s.tls.verify = !*parse_bool(o.value, false);
      }
      if (k == "CAfile") s.tls.ca_file = o.value;
      if (k == "CApath") s.tls.ca_path = o.value;
      if (k == "ssl certificate") s.tls.cert_file = o.value;
      if (k == "ssl key") s.tls.key_file = o.value;
      if (k == "tls ciphers") s.tls.ciphersuites = o.value;
      if (k == "timeout seconds") {
        TRIB_ASSIGN_OR_RETURN(const uint64_t v, bounded(section, o, 1, 86400));
        s.timeout = std::chrono::seconds(v);
      }
      if (k == "reconnect delay seconds") {
        TRIB_ASSIGN_OR_RETURN(const uint64_t v, bounded(section, o, 1, 86400));
        s.reconnect_delay = std::chrono::seconds(v);
      }
      if (k == "buffer size bytes") {
        TRIB_ASSIGN_OR_RETURN(const uint64_t v, bounded(section, o, 1024, 1ULL << 34));
        s.buffer_size_bytes = static_cast<size_t>(v);
      }
      if (k == "default port") {
        TRIB_ASSIGN_OR_RETURN(const uint64_t v, bounded(section, o, 1, 65535));
        s.default_port = static_cast<uint16_t>(v);
      }
    }
    // Last, so `default port` applies wherever it is written in the section.
    if (destination != nullptr) {
      auto parsed = parse_destinations(destination->value, s.default_port);
      if (!parsed.ok()) {
        return error(destination->line,
                     fmt::format("[stream] destination: {}", parsed.error().message));
      }
      s.destinations = std::move(parsed).value();
    }
    if (s.tls.cert_file.empty() != s.tls.key_file.empty()) {
      const RawOption* given = nullptr;
      for (const RawOption& o : section.options) {
        if (o.key == "ssl certificate" || o.key == "ssl key") given = &o;
      }
      return error(given->line,
                   "[stream] a client certificate needs both 'ssl certificate' and 'ssl key'");
    }
    return ok_status();
  }

  // [API key] or [machine GUID]: which it is depends on `type`, both when there is none.
  Status apply_receiver_section(const RawSection& section, StreamConf& conf) {
    std::string type;
    for (const RawOption& o : section.options) {
      if (o.key == "type") type = o.value;
    }
    const unsigned mask = type == "api" ? kApi : type == "machine" ? kMachine : kApi | kMachine;
    if (!is_guid(section.name)) {
      warnings_.push_back(fmt::format(
          "{}: section [{}] is not a UUID, so no API key or machine GUID can ever match it",
          at(section.line), section.name));
    }
    KeyPolicy key;
    MachinePolicy machine;
    const std::string name = lower(section.name);
    for (const RawOption& o : section.options) {
      TRIB_ASSIGN_OR_RETURN(const KeyDef* def, check_option(section, o, mask));
      if (def->name == "default proxy destination" || def->name == "proxy destination") {
        // Parsed once the whole file is read: `default port` of [stream] may come later.
        proxy_destinations_.push_back(
            {name, section.name, def->name == "proxy destination", o.value, o.line});
        continue;
      }
      TRIB_TRY(apply_receiver_option(*def, section, o, key, machine));
    }
    if ((mask & kApi) != 0) conf.keys[name] = std::move(key);
    if ((mask & kMachine) != 0) conf.machines[name] = std::move(machine);
    return ok_status();
  }

  Status apply_receiver_option(const KeyDef& def, const RawSection& section, const RawOption& o,
                               KeyPolicy& key, MachinePolicy& machine) const {
    const std::string_view k = def.name;
    if (k == "type") return ok_status();
    if (k == "enabled") {
      key.enabled = *parse_bool(o.value, false);
      machine.enabled = key.enabled;
    } else if (k == "allow from") {
      key.allow_from = SimplePattern(o.value);
      machine.allow_from = key.allow_from;
    } else if (k == "default memory mode") {
      key.default_memory_mode = o.value;
    } else if (k == "memory mode") {
      machine.memory_mode = o.value;
    } else if (k == "health enabled by default" || k == "health enabled") {
      const std::string v = lower(o.value);
      const HealthEnabled health = v == "auto"                   ? HealthEnabled::automatic
                                   : *parse_bool(o.value, false) ? HealthEnabled::yes
                                                                 : HealthEnabled::no;
      if (k == "health enabled") {
        machine.health_enabled = health;
      } else {
        key.health_enabled_by_default = health;
      }
    } else if (k == "default postpone alarms on connect seconds" ||
               k == "postpone alarms on connect seconds") {
      TRIB_ASSIGN_OR_RETURN(const uint64_t v, bounded(section, o, 0, 86400));
      if (k == "postpone alarms on connect seconds") {
        machine.postpone_alarms_on_connect_s = static_cast<uint32_t>(v);
      } else {
        key.default_postpone_alarms_on_connect_s = static_cast<uint32_t>(v);
      }
    } else if (k == "default history" || k == "history") {
      TRIB_ASSIGN_OR_RETURN(const uint64_t v, bounded(section, o, 0, UINT32_MAX));
      const uint32_t history = std::max(kMinHistory, static_cast<uint32_t>(v));
      if (k == "history") {
        machine.history = history;
      } else {
        key.default_history = history;
      }
    } else if (k == "default proxy enabled") {
      key.proxy.enabled = *parse_bool(o.value, false);
    } else if (k == "proxy enabled") {
      machine.proxy.enabled = *parse_bool(o.value, false);
    } else if (k == "default proxy api key") {
      key.proxy.api_key = o.value;
    } else if (k == "proxy api key") {
      machine.proxy.api_key = o.value;
    } else if (k == "default proxy send charts matching") {
      key.proxy.send_charts_matching = o.value;
    } else if (k == "proxy send charts matching") {
      machine.proxy.send_charts_matching = o.value;
    } else {
      key.other[o.key] = o.value;
      machine.other[o.key] = o.value;
    }
    return ok_status();
  }

  // A later `proxy destination` of the same section wins, as for every key.
  Status apply_proxy_destinations(StreamConf& conf) const {
    for (const ProxyDestination& d : proxy_destinations_) {
      auto parsed = parse_destinations(d.value, conf.stream.default_port);
      if (!parsed.ok()) {
        return error(d.line, fmt::format("[{}] {}proxy destination: {}", d.section,
                                         d.machine ? "" : "default ", parsed.error().message));
      }
      if (d.machine) {
        conf.machines[d.key].proxy.destinations = std::move(parsed).value();
      } else {
        conf.keys[d.key].proxy.destinations = std::move(parsed).value();
      }
    }
    return ok_status();
  }

  struct ProxyDestination {
    std::string key;       // the lower-cased section name
    std::string section;   // as written, for errors
    bool machine = false;  // `proxy destination` (else `default proxy destination`)
    std::string value;
    int line = 0;
  };
  std::vector<ProxyDestination> proxy_destinations_;

  std::string source_;
  std::vector<std::string> warnings_;
};

Result<Destination> parse_one_destination(std::string_view entry, uint16_t default_port) {
  Destination d;
  d.text = std::string(entry);
  d.port = default_port;
  std::string_view rest = entry;
  if (rest.starts_with("tcp:")) rest.remove_prefix(4);
  if (rest.starts_with("udp:") || rest.starts_with("unix:") || rest.starts_with("/")) {
    return Error(Errc::unsupported,
                 fmt::format("'{}': only tcp destinations are supported", entry));
  }
  if (rest.starts_with("[")) {
    const size_t close = rest.find(']');
    if (close == std::string_view::npos || close == 1) {
      return Error(Errc::config_error, fmt::format("'{}': unterminated [IPv6 address]", entry));
    }
    d.host = std::string(rest.substr(1, close - 1));
    rest.remove_prefix(close + 1);
  } else {
    const size_t colon = rest.find(':');
    d.host = std::string(rest.substr(0, colon));
    rest = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon);
  }
  if (d.host.empty()) return Error(Errc::config_error, fmt::format("'{}': no host", entry));
  if (d.host.find('%') != std::string::npos) {
    return Error(Errc::unsupported,
                 fmt::format("'{}': %INTERFACE is not supported; give the address only", entry));
  }
  // What remains: "", ":PORT", ":SSL", ":PORT:SSL".
  if (rest.size() >= 4 && lower(rest.substr(rest.size() - 4)) == ":ssl") {
    d.ssl = true;
    rest.remove_suffix(4);
  }
  if (!rest.empty()) {
    if (rest.front() != ':') {
      return Error(Errc::config_error, fmt::format("'{}': expected :PORT after the host", entry));
    }
    rest.remove_prefix(1);
    unsigned port = 0;
    const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), port);
    if (rest.empty() || ec != std::errc() || end != rest.data() + rest.size() || port == 0 ||
        port > 65535) {
      return Error(Errc::config_error,
                   fmt::format("'{}': '{}' is not a port number (1..65535)", entry, rest));
    }
    d.port = static_cast<uint16_t>(port);
  }
  return d;
}

}  // namespace

Result<std::vector<Destination>> parse_destinations(std::string_view text, uint16_t default_port) {
  std::vector<Destination> out;
  size_t i = 0;
  while (i < text.size()) {
    const auto separator = [](char c) {
      return c == ',' || std::isspace(static_cast<unsigned char>(c)) != 0;
    };
    while (i < text.size() && separator(text[i])) ++i;
    const size_t start = i;
    while (i < text.size() && !separator(text[i])) ++i;
    if (i > start) {
      TRIB_ASSIGN_OR_RETURN(Destination d,
                            parse_one_destination(text.substr(start, i - start), default_port));
      out.push_back(std::move(d));
    }
  }
  return out;
}

const KeyPolicy* StreamConf::api_key(std::string_view key) const {
  const auto it = keys.find(lower(key));
  return it == keys.end() ? nullptr : &it->second;
}

const MachinePolicy* StreamConf::machine(std::string_view guid) const {
  const auto it = machines.find(lower(guid));
  return it == machines.end() ? nullptr : &it->second;
}

StreamSender StreamConf::forwarding(std::string_view key, std::string_view guid) const {
  StreamSender out = stream;
  const auto apply = [&out](const ProxyOverrides& proxy) {
    if (proxy.enabled) out.enabled = *proxy.enabled;
    if (proxy.destinations) out.destinations = *proxy.destinations;
    if (proxy.api_key) out.api_key = *proxy.api_key;
    if (proxy.send_charts_matching) out.send_charts_matching = *proxy.send_charts_matching;
  };
  if (!key.empty()) {
    if (const KeyPolicy* policy = api_key(key)) apply(policy->proxy);
  }
  if (const MachinePolicy* policy = machine(guid)) apply(policy->proxy);
  return out;
}

namespace {

std::string destinations_text(const std::vector<Destination>& destinations) {
  std::string out;
  for (const auto& d : destinations) out += (out.empty() ? "" : " ") + d.text;
  return out;
}

std::string_view yes_no(bool value) { return value ? "yes" : "no"; }

}  // namespace

std::string describe_changes(const StreamSender& before, const StreamSender& after) {
  std::vector<std::string> changes;
  const auto note = [&changes](bool changed, std::string what) {
    if (changed) changes.push_back(std::move(what));
  };
  note(before.enabled != after.enabled,
       fmt::format("enabled {} -> {}", yes_no(before.enabled), yes_no(after.enabled)));
  note(before.destinations != after.destinations,
       fmt::format("destination '{}' -> '{}'", destinations_text(before.destinations),
                   destinations_text(after.destinations)));
  note(before.api_key != after.api_key, "api key changed");
  note(before.send_charts_matching != after.send_charts_matching,
       fmt::format("send charts matching '{}' -> '{}'", before.send_charts_matching,
                   after.send_charts_matching));
  note(before.timeout != after.timeout,
       fmt::format("timeout seconds {} -> {}", before.timeout.count(), after.timeout.count()));
  note(before.reconnect_delay != after.reconnect_delay,
       fmt::format("reconnect delay seconds {} -> {}", before.reconnect_delay.count(),
                   after.reconnect_delay.count()));
  note(
      before.buffer_size_bytes != after.buffer_size_bytes,
      fmt::format("buffer size bytes {} -> {}", before.buffer_size_bytes, after.buffer_size_bytes));
  note(before.enable_compression != after.enable_compression,
       fmt::format("enable compression {} -> {}", yes_no(before.enable_compression),
                   yes_no(after.enable_compression)));
  note(before.default_port != after.default_port,
       fmt::format("default port {} -> {}", before.default_port, after.default_port));
  note(before.tls != after.tls, "TLS settings changed");
  std::string out;
  for (const auto& change : changes) out += (out.empty() ? "" : ", ") + change;
  return out;
}

Result<StreamConf> parse_stream_conf(std::string_view text, const std::string& source_name) {
  return Reader(source_name).read(text);
}

Result<StreamConf> load_stream_conf(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return StreamConf{};
    return Error(Errc::io_error, fmt::format("{}: cannot open for reading", path));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_stream_conf(text.str(), path);
}

}  // namespace trib::config
