#pragma once
// TCP on libuv: a listener, a connection, and an outgoing connect. All live on one Loop.
// Destroying any of them closes the socket and guarantees no callback runs afterwards.
// A connection can be secured with TLS (start_tls): from then on it reads and writes plaintext
// through the same interface, so its users do not know whether TLS is in between.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/base/result.h"
#include "common/event/loop.h"
#include "common/log/log.h"

namespace trib::net {

class TlsEngine;

// One established TCP stream. Owned by whoever holds the unique_ptr (a session, a sender).
class TcpConnection {
 public:
  using DataCallback = std::function<void(std::string_view bytes)>;
  // Called once when the stream ends: EOF (Errc::closed) or an error. After it, only the
  // destructor is meaningful.
  using EndCallback = std::function<void(const Error& why)>;
  using WriteDone = std::function<void(const Status&)>;

  ~TcpConnection();
  TcpConnection(const TcpConnection&) = delete;
  TcpConnection& operator=(const TcpConnection&) = delete;

  // Starts (or resumes) delivering received bytes. Callbacks may destroy this object.
  void start_reading(DataCallback on_data, EndCallback on_end);
  void pause_reading();
  void resume_reading();

  // Queues bytes; `done` (optional) runs when the kernel took them or the write failed.
  void write(std::string bytes, WriteDone done = {});
  // For a caller that reuses its buffer (the HTTP server's answers): when nothing is queued,
  // hands `bytes` to the kernel at once, with no copy, no request object and no callback;
  // what the kernel does not take is copied and queued as by write(). True when everything
  // went out at once (`done` is then dropped); false when something was queued, and `done`
  // then runs as for write().
  bool write_now(std::string_view bytes, const WriteDone& done);

  // Runs a TLS handshake over this connection with `engine` (client or server, by its
  // context); `initial` holds ciphertext already read from the peer (a sniffed first flight).
  // `done` gets the application data that arrived with the handshake's last flight, or the
  // failure (OpenSSL's reason in the message). Reading is stopped when `done` runs; call
  // start_reading() as for a fresh connection. `done` may destroy this object, and may run
  // before start_tls returns when `initial` is already wrong.
  using TlsDone = std::function<void(Result<std::string> early_plaintext)>;
  void start_tls(std::unique_ptr<TlsEngine> engine, std::string initial, TlsDone done);
  // The TLS session, once start_tls was called; nullptr for plaintext.
  const TlsEngine* tls() const;
  // Bytes queued in libuv not yet handed to the kernel: the sender's back-pressure signal.
  size_t queued_bytes();

  // Bytes on the wire (TLS records included) so far, and the loop time (ms) the connection
  // was accepted or connected: for access logs.
  uint64_t bytes_received() const;
  uint64_t bytes_sent() const;
  uint64_t opened_ms() const { return opened_ms_; }

  // Peer address as text ("127.0.0.1", "::1") and port; empty/0 when unknown.
  const std::string& peer_address() const { return peer_address_; }
  uint16_t peer_port() const { return peer_port_; }
  std::string peer() const;  // "ip:port", IPv6 in brackets

  // Adopts an accepted or connected uv_tcp_t (already initialized on `loop`).
  static std::unique_ptr<TcpConnection> adopt(uv_tcp_t* tcp);

 private:
  struct State;
  explicit TcpConnection(uv_tcp_t* tcp);
  static void on_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf);
  static void on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf);
  static void on_ciphertext(uv_tcp_t* tcp, std::string_view bytes);
  static void end_stream(uv_tcp_t* tcp, const Error& why);
  static void write_raw(uv_tcp_t* tcp, std::string bytes, WriteDone done);
  static bool write_raw_now(uv_tcp_t* tcp, std::string_view bytes, const WriteDone& done);
  static void flush_tls(uv_tcp_t* tcp);

  friend class TcpListener;
  uv_tcp_t* tcp_;                       // freed in its close callback
  std::shared_ptr<size_t> counted_in_;  // a listener's count of open connections, if capped
  std::string peer_address_;
  uint16_t peer_port_ = 0;
  uint64_t opened_ms_ = 0;
};

// Accepts connections on host:port (port 0 picks a free one; see port()). With a cap, at most
// `max_connections` of the connections it accepted are open at once (counted until each
// TcpConnection is destroyed, whoever owns it by then): one accepted beyond the cap is closed
// at once, and a rate-limited log line says so, naming the listener by `name`.
struct ListenerLimits {
  size_t max_connections = 0;  // 0: no cap
  std::string name;            // for the log: "API and streams", "heartbeats"
};

class TcpListener {
 public:
  using AcceptCallback = std::function<void(std::unique_ptr<TcpConnection>)>;

  static Result<std::unique_ptr<TcpListener>> listen(event::Loop& loop, const std::string& host,
                                                     uint16_t port, AcceptCallback on_accept,
                                                     ListenerLimits limits = {});
  ~TcpListener();
  uint16_t port() const { return port_; }
  // Accepted connections still open (counted only with a cap), and those closed at accept.
  size_t open_connections() { return *box_.state().open; }
  uint64_t refused_connections() { return box_.state().refused; }

 private:
  struct State {
    AcceptCallback on_accept;
    ListenerLimits limits;
    std::string address;  // host:port, for the log
    std::shared_ptr<size_t> open = std::make_shared<size_t>(0);
    uint64_t refused = 0;
    log::RateLimitedLog refusal_log{std::chrono::seconds(10)};
  };
  TcpListener() = default;
  static void on_connection(uv_stream_t* server, int status);
  event::HandleBox<uv_tcp_t, State> box_;
  uint16_t port_ = 0;
};

// An outgoing connection in progress: resolves `host`, connects, and calls back once with the
// connection or an error, always from a later loop turn (never inside start()). Destroying it
// cancels (no callback).
class TcpConnect {
 public:
  using Callback = std::function<void(Result<std::unique_ptr<TcpConnection>>)>;

  static std::unique_ptr<TcpConnect> start(event::Loop& loop, const std::string& host,
                                           uint16_t port, std::chrono::milliseconds timeout,
                                           Callback done);
  ~TcpConnect();

 private:
  struct Shared;
  TcpConnect() = default;
  std::shared_ptr<Shared> shared_;
};

// "host:port", "[v6]:port" or "host" (default port) split. Errc::parse_error when malformed.
struct HostPort {
  std::string host;
  uint16_t port = 0;
};
Result<HostPort> parse_host_port(std::string_view text, uint16_t default_port);

}  // namespace trib::net
