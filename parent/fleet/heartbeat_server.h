#pragma once
// The heartbeat server: its own port (default 8000), its own thread and libuv loop, so a storm
// of heartbeats never slows the API (the Telegraf Controller splits the two for that reason).
//
//   POST /agents/heartbeat, POST /heartbeat   Telegraf's heartbeat JSON (see heartbeat.h)
//   GET  /health                              {"status":"ok"}
//
// Group commit: heartbeats that arrive while the fleet thread is committing wait, and the next
// commit writes all of them in one transaction (one fsync). The loop checks paths and tokens and
// queues the bodies; the fleet thread parses them (parse_heartbeat) and writes the batch, so the
// two threads share the work and the next batch is queued while one commits. Each request is
// answered 200 {"status":"ok"} only after the transaction holding it committed, 503 when it
// failed (Telegraf then keeps its counters and sends them again), 400 {"error":"invalid
// heartbeat","detail":...} for a message parse_heartbeat() refuses, 401 for a missing or wrong
// token.
//
// Connections take the same path as on the main port (TcpListener -> TlsAcceptor ->
// HttpServer::adopt), so TLS works the same way on both: `force`, `optional` (plaintext and TLS
// on one port, told apart by the first byte) or `off`. Plaintext on a `force` port gets 400
// {"error":"tls_required",...} and the connection is closed.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "common/base/result.h"
#include "common/net/tls.h"
#include "common/net/tls_acceptor.h"
#include "parent/fleet/fleet_service.h"

namespace trib::parent::fleet {

struct HeartbeatServerOptions {
  std::string bind = "0.0.0.0";
  uint16_t port = 8000;     // 0: any free port (tests)
  std::string token;        // empty: heartbeats are open
  size_t max_batch = 2000;  // heartbeats per transaction at most
  net::TlsMode tls_mode = net::TlsMode::off;
  std::shared_ptr<const net::TlsContext> tls_context;  // required unless tls_mode is off
  size_t max_connections = 0;                          // open at once; 0: no cap
};

class HeartbeatServer {
 public:
  // Listens (errors, e.g. the port is taken, are returned here) and starts the thread.
  // `fleet` must outlive the server's jobs: stop the fleet service first, or destroy the
  // server first and the fleet service later; both orders are safe.
  static Result<std::unique_ptr<HeartbeatServer>> start(const HeartbeatServerOptions& options,
                                                        FleetService& fleet);
  ~HeartbeatServer();
  HeartbeatServer(const HeartbeatServer&) = delete;
  HeartbeatServer& operator=(const HeartbeatServer&) = delete;

  uint16_t port() const { return port_; }
  net::TlsMode tls_mode() const { return tls_mode_; }
  // New TLS handshakes use `context` (certificates re-read on SIGHUP); connections already
  // made keep theirs. Thread-safe.
  void set_tls_context(std::shared_ptr<const net::TlsContext> context);

  // Counters since start; any thread.
  struct Stats {
    uint64_t stored = 0;   // heartbeats answered 2xx
    uint64_t commits = 0;  // transactions that stored them
  };
  Stats stats() const;
  // Closes the listener and every connection, ends the thread. Idempotent.
  void stop();

  class Endpoint;

 private:
  HeartbeatServer() = default;
  struct Thread;
  std::unique_ptr<Thread> thread_;
  uint16_t port_ = 0;
  net::TlsMode tls_mode_ = net::TlsMode::off;
};

}  // namespace trib::parent::fleet
