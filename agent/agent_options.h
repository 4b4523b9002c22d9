#pragma once
// The agent's settings as plain values (agent.yaml + agent.d/*.yaml + TRIBUTARY_* overrides).
// Loaded and validated by agent_config.{h,cpp}; read by the agent core and the collectors.

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "agent/logs/log_options.h"
#include "common/collectors/collector_options.h"
#include "common/log/log.h"

namespace trib::agent {

using collectors::CollectorOptions;
using collectors::ProcessMatch;

// The Telegraf-compatible heartbeat to the parent's heartbeat server.
struct HeartbeatOptions {
  bool enabled = true;
  std::string url;  // empty: http://<first stream destination's host>:8000/agents/heartbeat
  std::chrono::seconds interval{60};
  std::string token;  // sent as Authorization: Bearer; empty: none

  bool operator==(const HeartbeatOptions&) const = default;
};

struct AgentOptions {
  std::string hostname;  // empty: the OS hostname
  log::LogOptions log;
  // Every registered collector has an entry (defaults filled in by the loader).
  std::map<std::string, CollectorOptions> collectors;
  std::vector<ProcessMatch> processes;
  // How often the config files are re-read for changes (also on SIGHUP).
  std::chrono::seconds config_check_interval{30};
  HeartbeatOptions heartbeat;
  logs::LogsOptions logs;
  logs::SpoolOptions spool;
};

}  // namespace trib::agent
