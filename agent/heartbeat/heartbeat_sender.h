#pragma once
// The agent's heartbeat: every interval, a Telegraf `outputs.heartbeat` message (schema 1) to
// the parent's heartbeat server, so Tributary agents and Telegraf agents share one fleet view.
// Like Telegraf, the first one goes out one interval after start, the metrics count covers the
// time since the last acknowledged heartbeat, and `last` is added after an HTTP error status.
//
// Threading: lives on the agent's network loop.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/base/result.h"
#include "common/config/stream_conf.h"
#include "common/event/loop.h"
#include "common/event/timer.h"
#include "common/http/client.h"
#include "common/net/tls.h"

namespace trib::agent {

struct HeartbeatTarget {
  std::string url;
  std::chrono::milliseconds interval{60'000};
  std::string token;
  std::string id;        // the machine GUID: the agent's identity in the fleet
  std::string hostname;  // reported as `hostname`
  std::string version;   // "Tributary 0.1.0"
  // For an https URL: verified as the stream is (stream.conf's CAfile, CApath, `ssl skip
  // certificate verification`, client certificate).
  net::TlsClientOptions tls;
  bool operator==(const HeartbeatTarget&) const = default;
};

// http://<host>:8000/agents/heartbeat for the first destination (https when it is :SSL);
// empty without destinations.
std::string default_heartbeat_url(const std::vector<config::Destination>& destinations);

// The JSON body of one heartbeat.
std::string heartbeat_body(const HeartbeatTarget& target, uint64_t metrics,
                           std::optional<int64_t> last);

class HeartbeatSender {
 public:
  HeartbeatSender(event::Loop& loop, HeartbeatTarget target);
  void start();
  // Sends the next heartbeats to `target` (a reloaded configuration); counters carry over, an
  // exchange in flight finishes with the old target.
  void retarget(HeartbeatTarget target);
  // Samples handed to the sender since the last call; reported as `statistics.metrics`.
  void count_metrics(uint64_t n) { metrics_ += n; }
  // Heartbeats the parent acknowledged (2xx) so far.
  uint64_t acknowledged() const { return acknowledged_; }

 private:
  void send();
  // The client context for https, built on first use from target_.tls.
  Result<std::shared_ptr<const net::TlsContext>> tls_context();

  event::Loop& loop_;
  HeartbeatTarget target_;
  event::Timer timer_;
  http::FetchHandle in_flight_;
  std::shared_ptr<const net::TlsContext> tls_context_;
  uint64_t metrics_ = 0;
  uint64_t acknowledged_ = 0;
  int64_t last_success_s_ = 0;
  bool failed_with_status_ = false;
  bool warned_ = false;
};

}  // namespace trib::agent
