#pragma once
// The agent's settings as plain values (agent.yaml + agent.d/*.yaml + TRIBUTARY_* overrides).
// Loaded and validated by agent_config.{h,cpp}; read by the agent core and the collectors.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "agent/logs/log_options.h"
#include "common/log/log.h"

namespace trib::agent {

// Which processes the process collector watches, besides the agent itself. Exactly one of
// comm, cmdline, pidfile is set.
struct ProcessMatch {
  std::string name;     // the dimension / chart name shown to users
  std::string comm;     // exact /proc/<pid>/comm
  std::string cmdline;  // regular expression over the space-joined command line
  std::string pidfile;  // path to a file holding the pid

  bool operator==(const ProcessMatch&) const = default;
};

// Per-collector settings: `collectors: {<name>: {...}}` in agent.yaml.
struct CollectorOptions {
  bool enabled = true;
  std::chrono::seconds update_every{1};
  uint32_t max_series = 5000;               // dimensions this collector may create
  uint32_t max_values_per_second = 100000;  // values it may emit per second

  bool operator==(const CollectorOptions&) const = default;
};

struct AgentOptions {
  std::string hostname;  // empty: the OS hostname
  log::LogOptions log;
  // Every registered collector has an entry (defaults filled in by the loader).
  std::map<std::string, CollectorOptions> collectors;
  std::vector<ProcessMatch> processes;
  // How often the config files are re-read for changes (also on SIGHUP).
  std::chrono::seconds config_check_interval{30};
  logs::LogsOptions logs;
  logs::SpoolOptions spool;
};

}  // namespace trib::agent
