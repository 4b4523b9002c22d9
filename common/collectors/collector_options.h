#pragma once
// Settings of the collectors, as plain values: the agent reads them from agent.yaml; a parent
// collecting its own host uses the defaults.

#include <chrono>
#include <cstdint>
#include <string>

namespace trib::collectors {

// Which processes the process collector watches, besides the running binary itself. Exactly one
// of comm, cmdline, pidfile is set.
struct ProcessMatch {
  std::string name;     // the dimension / chart name shown to users
  std::string comm;     // exact /proc/<pid>/comm
  std::string cmdline;  // RE2 regular expression searched in the space-joined command line
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

}  // namespace trib::collectors
