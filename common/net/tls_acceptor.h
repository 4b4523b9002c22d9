#pragma once
// The front of a listening port that serves both plaintext and TLS (Netdata's `^SSL=` modes):
// it reads each new connection's first bytes, runs the TLS handshake for the ones that start
// with a TLS record, and hands every connection on as a plaintext-speaking TcpConnection plus
// the bytes already read, so the HTTP server and the stream receiver never know which it was
// (TcpConnection::tls() tells, for logs). Connections that have not said anything yet are
// bounded in time (`deadline`) and in number (`max_waiting`: beyond it the oldest is closed),
// so a flood of idle connections cannot keep a real client out.
//
// Lives on one event::Loop (the parent's I/O loop); destroying it closes what it still holds.

#include <chrono>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "common/base/result.h"
#include "common/event/loop.h"
#include "common/event/timer.h"
#include "common/log/log.h"
#include "common/net/tcp.h"
#include "common/net/tls.h"

namespace trib::net {

// What a port does with TLS.
enum class TlsMode {
  off,       // plaintext only; a TLS client's handshake fails (it gets an HTTP 400)
  optional,  // both, told apart by the first byte
  force,     // TLS only; plaintext gets Netdata's refusal
};
Result<TlsMode> parse_tls_mode(std::string_view text);
std::string_view to_string(TlsMode mode);

class TlsAcceptor {
 public:
  using Handoff = std::function<void(std::unique_ptr<TcpConnection>, std::string already_read)>;
  struct Handlers {
    Handoff ready;              // plaintext, or TLS after a good handshake
    Handoff plaintext_refused;  // plaintext on a force port: the owner answers and closes
  };

  // `context` may be null only with mode off. `deadline` bounds the wait for the first bytes
  // and the whole TLS handshake (slow or silent peers are closed).
  TlsAcceptor(event::Loop& loop, TlsMode mode, std::shared_ptr<const TlsContext> context,
              std::chrono::milliseconds deadline, size_t max_waiting, Handlers handlers);
  ~TlsAcceptor();
  TlsAcceptor(const TlsAcceptor&) = delete;
  TlsAcceptor& operator=(const TlsAcceptor&) = delete;

  void adopt(std::unique_ptr<TcpConnection> connection);
  // New handshakes use `context` (certificate reload); running ones keep theirs.
  void set_context(std::shared_ptr<const TlsContext> context) { context_ = std::move(context); }
  // Drops every connection still being sorted or handshaking.
  void close_all() { pending_.clear(); }

  TlsMode mode() const { return mode_; }
  size_t pending() const { return pending_.size(); }
  uint64_t handshakes_failed() const { return handshakes_failed_; }
  uint64_t evicted() const { return evicted_; }

 private:
  struct Pending {
    std::unique_ptr<TcpConnection> connection;
    std::unique_ptr<event::Timer> deadline;
  };
  using PendingList = std::list<Pending>;

  void on_first_bytes(PendingList::iterator it, std::string_view bytes);
  void start_handshake(PendingList::iterator it, std::string first_bytes);
  void hand_off(PendingList::iterator it, const Handoff& to, std::string already_read);
  void log_failure(const std::string& peer, const Error& why);

  event::Loop& loop_;
  TlsMode mode_;
  std::shared_ptr<const TlsContext> context_;
  std::chrono::milliseconds deadline_;
  size_t max_waiting_;
  Handlers handlers_;
  PendingList pending_;
  uint64_t handshakes_failed_ = 0;
  uint64_t evicted_ = 0;
  log::RateLimitedLog eviction_log_{std::chrono::seconds(10)};
  // Per reason (OpenSSL's texts: a bounded set), so one noisy client does not hide another.
  std::map<std::string, log::RateLimitedLog> failure_logs_;
};

}  // namespace trib::net
