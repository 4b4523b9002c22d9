#pragma once
// tributary-loadgen: N simulated agents, each with C charts of D dimensions, streaming to a
// parent over the real protocol (Tributary native frames with acks, or Netdata 1.37's
// uncompressed text protocol for a stock netdata parent), at a given rate or flat out. Reports
// what was sent and, for the native protocol, what the parent acknowledged.
//
// One thread, one poll() loop over every simulated agent's non-blocking socket: the generator
// must cost far less CPU than the parent it measures.

#include <cstdint>
#include <string>
#include <vector>

#include "common/base/result.h"

namespace trib::agent::loadgen {

enum class Protocol : uint8_t { tributary, netdata };

struct LoadgenOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 19999;
  std::string api_key;
  uint32_t agents = 1;
  uint32_t charts = 10;
  uint32_t dimensions = 10;
  uint64_t rate = 0;              // samples per second over all agents; 0: flat out
  double duration_s = 10;         // sending time; then up to 10 s more waiting for acks
  uint32_t ticks_per_batch = 10;  // native: collections of every chart in one batch
  Protocol protocol = Protocol::tributary;
  int64_t start_time_s = 0;                              // first sample timestamp; 0: one week ago
  std::string guid_prefix = "10ad0000-0000-4000-8000-";  // + 12 hex digits of the agent index
};

struct AgentReport {
  std::string machine_guid;
  uint64_t samples_sent = 0;
  uint64_t samples_acked = 0;  // native protocol only
  uint64_t bytes_sent = 0;
  std::string error;  // why it stopped early, if it did
};

struct LoadgenReport {
  double seconds = 0;  // from the first connection to the end of sending
  uint64_t samples_sent = 0;
  uint64_t samples_acked = 0;
  uint64_t bytes_sent = 0;
  std::vector<AgentReport> agents;
};

// Options from command-line arguments (`--agents 10 --charts 100 ...`); `--help` is an error
// whose message is the usage text.
Result<LoadgenOptions> parse_args(const std::vector<std::string>& args);
std::string usage();

// Runs the load; fails only when nothing could be set up (bad address).
Result<LoadgenReport> run(const LoadgenOptions& options);

std::string to_json(const LoadgenReport& report);

}  // namespace trib::agent::loadgen
