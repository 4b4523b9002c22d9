#pragma once
// tributary-loadgen: N simulated agents, each with C charts of D dimensions, streaming to a
// parent over the real protocol (Tributary native frames with acks, or Netdata 1.37's
// uncompressed text protocol for a stock netdata parent), at a given rate or flat out. Reports
// what was sent and, for the native protocol, what the parent acknowledged.
//
// With --tls, OpenSSL runs straight over each non-blocking socket (SSL_set_fd) inside the same
// poll() loop; its context comes from net::TlsContext, as the agent's sender's does.
//
// Each of `threads` threads runs one poll() loop over its share of the simulated agents'
// non-blocking sockets. The generator must cost far less CPU than the parent it measures: the
// bytes of every value are computed once (LoadEncoder), a batch is a copy plus its header and
// timestamps.

#include <cstdint>
#include <string>
#include <string_view>
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
  // --compress (native): zstd frames at the level agents use, as an agent streams by default;
  // without it frames go uncompressed (the most samples a parent can take per CPU-second).
  bool compress = false;
  Protocol protocol = Protocol::tributary;
  uint32_t threads = 1;      // agents are spread over this many sending threads
  int64_t start_time_s = 0;  // first sample timestamp; 0: one week ago
  std::string guid_prefix = "10ad0000-0000-4000-8000-";  // + 12 hex digits of the agent index
  // TLS to the parent (OpenSSL straight over the sockets). The certificate must match `host`.
  bool tls = false;
  bool tls_verify = true;  // --tls-insecure: false
  std::string tls_ca;      // --tls-ca; empty: the system's CAs
  std::string tls_cert;    // --tls-cert/--tls-key: a client certificate (mutual TLS)
  std::string tls_key;
  // Instead of streaming, each agent opens connections back to back for `duration_s`:
  // connect, TLS handshake (with `tls`), STREAM line, the parent's reply, goodbye, and the
  // parent's close. Measures new connections (handshakes) per second at the parent.
  bool handshakes_only = false;
};

struct AgentReport {
  std::string machine_guid;
  uint64_t samples_sent = 0;
  uint64_t samples_acked = 0;  // native protocol only
  uint64_t bytes_sent = 0;     // plaintext (protocol) bytes, with TLS too
  uint64_t handshakes = 0;     // stream handshakes answered (handshakes_only)
  std::string tls;             // with --tls: protocol and suite, "TLSv1.3 TLS_AES_128_GCM_SHA256"
  std::string error;           // why it stopped early, if it did
};

struct LoadgenReport {
  double seconds = 0;  // from the first connection to the end of sending
  uint64_t samples_sent = 0;
  uint64_t samples_acked = 0;
  uint64_t bytes_sent = 0;
  uint64_t handshakes = 0;
  bool handshakes_only = false;
  std::vector<AgentReport> agents;
};

// The value of dimension `dim` of chart `chart` at collection `tick`: a counter-like ramp and a
// few levels, so blocks compress the way real metrics do rather than like noise. Periodic in
// `tick` with period kValuePeriod.
inline constexpr int64_t kValuePeriod = 1000;
double load_value(int64_t tick, uint32_t chart, uint32_t dim);

// The bytes the simulated agents send, computed once per value and copied per batch: a
// collection's values repeat every kValuePeriod ticks, so the value bytes of each tick phase and
// chart are kept (up to kMaxTableBytes; a larger load computes them per batch). Immutable after
// construction: the sending threads share one.
class LoadEncoder {
 public:
  static constexpr size_t kMaxTableBytes = size_t{256} << 20;

  explicit LoadEncoder(const LoadgenOptions& options);

  // Native protocol: one Samples frame (host slot 1) of ticks [first_tick, first_tick +
  // ticks_per_batch) of every chart (chart slots 1..charts), timestamps start_s + tick.
  void append_batch(int64_t start_s, int64_t first_tick, uint64_t seq, std::string& out) const;
  // Netdata protocol: BEGIN/SET/END of every chart for one tick.
  void append_netdata_tick(int64_t tick, std::string& out) const;

 private:
  void append_values(int64_t tick, uint32_t chart, std::string& out) const;

  LoadgenOptions options_;
  std::string native_values_;  // [phase][chart]: dimensions x f64 LE; empty if over the cap
  std::vector<std::string> netdata_ticks_;  // [phase]; empty if over the cap
};

// Options from command-line arguments (`--agents 10 --charts 100 ...`); `--help` is an error
// whose message is the usage text.
Result<LoadgenOptions> parse_args(const std::vector<std::string>& args);
std::string usage();

// Runs the load; fails only when nothing could be set up (bad address, TLS files). What goes
// wrong on a connection (refusal, certificate verification) is in the agents' reports.
Result<LoadgenReport> run(const LoadgenOptions& options);

std::string to_json(const LoadgenReport& report);
// Whether the run did anything: samples sent, or (handshakes_only) handshakes answered.
bool did_work(const LoadgenReport& report);

}  // namespace trib::agent::loadgen
