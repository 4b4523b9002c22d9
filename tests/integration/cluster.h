#pragma once
// A parent and agents started as real processes on 127.0.0.1, each with its own config and
// data dirs under one TempDir. For integration tests.

#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>

#include "support/process.h"

namespace trib::test {

inline constexpr const char* kApiKey = "11111111-2222-3333-4444-555555555555";

// The STREAM request a Tributary sender opens its connection with (docs/protocol.md §2.1), for
// tests that talk to the parent without an agent.
inline std::string tributary_stream_request(const std::string& key, const std::string& machine_guid,
                                            const std::string& caps = "ack",
                                            const std::string& hostname = "raw-host") {
  std::string encoded_caps;
  for (char c : caps) encoded_caps += c == ',' ? std::string("%2C") : std::string(1, c);
  return "STREAM key=" + key + "&hostname=" + hostname + "&registry_hostname=" + hostname +
         "&machine_guid=" + machine_guid + "&update_every=1&os=linux&timezone=UTC&hops=1" +
         "&ver=960&tributary=1&caps=" + encoded_caps +
         " HTTP/1.1\r\nUser-Agent: tributary/test\r\nAccept: */*\r\n\r\n";
}

class Cluster {
 public:
  Cluster() : port_(free_port()), heartbeat_port_(free_port()) {}

  uint16_t port() const { return port_; }
  uint16_t heartbeat_port() const { return heartbeat_port_; }
  const TempDir& dir() const { return dir_; }

  // Writes the parent's stream.conf (the API key section and anything extra) and starts it.
  void start_parent(const std::string& extra_stream_conf = "") {
    write_file(dir_ / "parent/etc/stream.conf",
               std::string("[") + kApiKey + "]\n  enabled = yes\n  default memory mode = ram\n" +
                   extra_stream_conf);
    restart_parent();
  }
  void restart_parent() {
    launch_parent();
    eventually([&] { return http_get(port_, "/api/v1/info").status == 200; });
  }
  // For a port plaintext HTTP cannot probe (TLS only): waits for the parent's start-up line.
  void restart_parent_waiting_for_log() {
    launch_parent();
    eventually([&] { return parent_log().find(" listening on ") != std::string::npos; });
  }
  void write_parent_yaml(const std::string& yaml) {
    write_file(dir_ / "parent/etc/parent.yaml", yaml);
  }
  // Starts the parent with `stream_conf` as its whole stream.conf (no API key section added).
  void start_parent_with_stream_conf(const std::string& stream_conf) {
    write_parent_stream_conf(stream_conf);
    restart_parent();
  }
  void write_parent_stream_conf(const std::string& stream_conf) {
    write_file_atomically(dir_ / "parent/etc/stream.conf", stream_conf);
  }
  Process& parent() { return *parent_; }
  void stop_parent() { parent_.reset(); }

  // An agent named `name` with its own dirs; `key` goes into its stream.conf.
  std::unique_ptr<Process> start_agent(const std::string& name, const std::string& key = kApiKey,
                                       const std::string& agent_yaml = "") {
    write_file(dir_ / (name + "/etc/stream.conf"),
               "[stream]\n  enabled = yes\n  destination = 127.0.0.1:" + std::to_string(port_) +
                   "\n  api key = " + key + "\n  reconnect delay seconds = 1\n");
    write_file(dir_ / (name + "/etc/agent.yaml"),
               agent_yaml.empty() ? "hostname: " + name + "\n" : agent_yaml);
    return std::make_unique<Process>(
        agent_binary(),
        std::vector<std::string>{"--config-dir", dir_ / (name + "/etc"), "--data-dir",
                                 dir_ / (name + "/data")},
        dir_ / (name + ".log"));
  }
  // An agent whose stream.conf is `stream_conf` as given (TLS destinations and settings).
  std::unique_ptr<Process> start_agent_with_stream_conf(const std::string& name,
                                                        const std::string& stream_conf,
                                                        const std::string& agent_yaml = "") {
    write_file(dir_ / (name + "/etc/stream.conf"), stream_conf);
    write_file(dir_ / (name + "/etc/agent.yaml"),
               agent_yaml.empty() ? "hostname: " + name + "\n" : agent_yaml);
    return std::make_unique<Process>(
        agent_binary(),
        std::vector<std::string>{"--config-dir", dir_ / (name + "/etc"), "--data-dir",
                                 dir_ / (name + "/data")},
        dir_ / (name + ".log"));
  }
  // Gives agent `name` this machine GUID before it starts (Netdata's machine.guid file).
  void set_agent_guid(const std::string& name, const std::string& guid) {
    write_file(dir_ / (name + "/data/machine.guid"), guid + "\n");
  }
  void write_agent_stream_conf(const std::string& name, const std::string& stream_conf) {
    write_file_atomically(dir_ / (name + "/etc/stream.conf"), stream_conf);
  }
  void write_agent_yaml(const std::string& name, const std::string& agent_yaml) {
    write_file_atomically(dir_ / (name + "/etc/agent.yaml"), agent_yaml);
  }
  std::string agent_guid(const std::string& name) const {
    std::string guid = read_file(dir_ / (name + "/data/machine.guid"));
    while (!guid.empty() && (guid.back() == '\n' || guid.back() == ' ')) guid.pop_back();
    return guid;
  }
  std::string agent_log(const std::string& name) const { return read_file(dir_ / (name + ".log")); }
  std::string parent_log() const { return read_file(dir_ / "parent.log"); }

  std::optional<nlohmann::json> get_json(const std::string& path) {
    const auto r = http_get(port_, path);
    if (r.status != 200) return std::nullopt;
    auto parsed = nlohmann::json::parse(r.body, nullptr, false);
    if (parsed.is_discarded()) return std::nullopt;
    return parsed;
  }

  // The mirrored_hosts_status entry of `guid`, if listed.
  std::optional<nlohmann::json> host_status(const std::string& guid) {
    auto info = get_json("/api/v1/info");
    if (!info) return std::nullopt;
    for (const auto& h : (*info)["mirrored_hosts_status"]) {
      if (h.value("guid", "") == guid) return h;
    }
    return std::nullopt;
  }
  bool reachable(const std::string& guid) {
    auto h = host_status(guid);
    return h && (*h)["reachable"] == true;
  }

 private:
  void launch_parent() {
    parent_ = std::make_unique<Process>(
        parent_binary(),
        std::vector<std::string>{"--config-dir", dir_ / "parent/etc", "--data-dir",
                                 dir_ / "parent/data", "--port", std::to_string(port_),
                                 "--heartbeat-port", std::to_string(heartbeat_port_)},
        dir_ / "parent.log");
  }

  TempDir dir_;
  uint16_t port_;
  uint16_t heartbeat_port_;
  std::unique_ptr<Process> parent_;
};

}  // namespace trib::test
