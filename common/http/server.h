#pragma once
// An HTTP/1.1 server for connections someone else accepted (the parent's listener sniffs the
// first bytes to tell a STREAM handshake from HTTP and hands HTTP connections here).
//
// Threading: an HttpServer, its sessions and every Responder belong to one event::Loop and are
// used only on its thread.
//
// Per connection, requests are handled one at a time: the handler gets a request and a
// Responder; the next pipelined request is dispatched once the previous one was answered, so
// answers go out in request order.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/event/loop.h"
#include "common/event/timer.h"
#include "common/http/message.h"
#include "common/http/request_parser.h"
#include "common/net/tcp.h"

namespace trib::http {

class HttpSession;

// The right to answer one request. Move-only. respond() may be called later, from any callback
// of the same loop (after a database commit, say). Dropping an unanswered Responder answers
// 500; answering after the connection closed does nothing.
class Responder {
 public:
  Responder(Responder&& other) noexcept;
  Responder& operator=(Responder&& other) noexcept;
  Responder(const Responder&) = delete;
  Responder& operator=(const Responder&) = delete;
  ~Responder();

  void respond(HttpResponse response);

 private:
  friend class HttpSession;
  Responder(std::weak_ptr<HttpSession> session, uint64_t sequence)
      : session_(std::move(session)), sequence_(sequence) {}
  std::weak_ptr<HttpSession> session_;  // reset once answered
  uint64_t sequence_ = 0;               // which request of the connection this answers
};

class HttpServer {
 public:
  using Handler = std::function<void(HttpRequest&&, Responder)>;
  // Gets a connection whose first bytes matched a takeover prefix, paused (call start_reading),
  // and every byte read from it so far.
  using TakeoverHandler =
      std::function<void(std::unique_ptr<net::TcpConnection> conn, std::string already_read)>;

  explicit HttpServer(event::Loop& loop, HttpLimits limits = {});
  // Closes every session.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Without a handler every request is answered 404.
  void set_handler(Handler handler);
  // When a connection's first bytes start with `prefix` (e.g. "STREAM "), hands it over raw.
  // Checked before any request is parsed; several prefixes may be registered.
  void set_takeover(std::string prefix, TakeoverHandler handler);

  // Starts serving `conn`. `already_read` holds bytes a sniffing listener took from it; they
  // are parsed before anything read later.
  void adopt(std::unique_ptr<net::TcpConnection> conn, std::string already_read = {});

  // Closes every connection at once (shutdown). Unanswered responders become no-ops.
  void close_all();

  size_t session_count() const { return sessions_.size(); }

 private:
  friend class HttpSession;
  struct Takeover {
    std::string prefix;
    TakeoverHandler handler;
  };

  // Sessions end inside their own callbacks; they are destroyed from a later loop turn.
  void retire(HttpSession* session);

  event::Loop& loop_;
  HttpLimits limits_;
  Handler handler_;
  std::vector<Takeover> takeovers_;
  std::unordered_map<HttpSession*, std::shared_ptr<HttpSession>> sessions_;
  std::vector<std::shared_ptr<HttpSession>> retired_;
  event::Timer reaper_;
};

// The bytes answering a request: status line, the handler's headers (CR/LF removed), then
// Content-Length, Date, Server and Connection (close when `close`, keep-alive for an HTTP/1.0
// client that keeps the connection). No body for HEAD, 1xx, 204 and 304.
std::string serialize_response(const HttpResponse& response, bool head_request, int version_minor,
                               bool close, long long now_unix_seconds);
// The same, appended to `out` (a buffer its owner reuses).
void serialize_response_into(std::string& out, const HttpResponse& response, bool head_request,
                             int version_minor, bool close, long long now_unix_seconds);

}  // namespace trib::http
