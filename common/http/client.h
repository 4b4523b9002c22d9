#pragma once
// A small HTTP/1.1 client on one event::Loop: one request per connection (Connection: close),
// over plain TCP or TLS (https: the server's certificate and name are verified unless the
// request's TLS context says otherwise). Used by tests and by the agent's heartbeat.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/base/result.h"
#include "common/event/loop.h"
#include "common/http/message.h"
#include "common/net/tls.h"

namespace trib::http {

struct FetchRequest {
  std::string method = "GET";
  std::string url;  // "http://host:port/path?query"
  Headers headers;  // Host, Content-Length and Connection are set by fetch()
  std::string body;
  // For the whole exchange: resolving, connecting, sending and reading the answer.
  std::chrono::milliseconds timeout{30'000};
  size_t max_response_body_bytes = 16 * 1024 * 1024;
  // For https URLs: a client context (CAs, verification, client certificate); null: one that
  // verifies against the system's CAs, made for this request.
  std::shared_ptr<const net::TlsContext> tls;
};

struct FetchResponse {
  int status = 0;
  Headers headers;
  std::string body;  // de-chunked
};

// Incremental parsing of one HTTP/1.x response, with no socket attached (the client and the
// fuzz target drive the same code). Interim 1xx answers are skipped.
class ResponseParser {
 public:
  // `head_request`: the answer has no body whatever its headers say.
  ResponseParser(bool head_request, size_t max_body_bytes);
  ~ResponseParser();
  ResponseParser(const ResponseParser&) = delete;
  ResponseParser& operator=(const ResponseParser&) = delete;

  // Feeds received bytes; true once the response is complete (later bytes are ignored).
  // Errors: Errc::protocol_error (not HTTP), Errc::limit_exceeded (body too large).
  Result<bool> parse(std::string_view bytes);
  // The peer closed: completes a body delimited by the close. False when the answer is cut.
  Result<bool> finish();
  // The completed response; once.
  FetchResponse take_response();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Errors: Errc::invalid_argument (bad URL), Errc::timeout, Errc::closed
// (the server closed before a full answer), Errc::protocol_error (not HTTP),
// Errc::limit_exceeded (body above the bound), a TLS error (net::tls_category(), OpenSSL's
// reason in the message), or the socket's error. Any HTTP status,
// 500 included, is a successful fetch.
using FetchCallback = std::function<void(Result<FetchResponse>)>;

// An exchange in progress. Destroying (or cancel()) stops it: no callback afterwards.
class FetchHandle {
 public:
  FetchHandle() = default;
  FetchHandle(FetchHandle&&) noexcept = default;
  FetchHandle& operator=(FetchHandle&& other) noexcept;
  ~FetchHandle();

  void cancel();
  // False once the callback ran or the fetch was cancelled.
  bool active() const;

  struct State;

 private:
  friend FetchHandle fetch(event::Loop&, FetchRequest, FetchCallback);
  std::shared_ptr<State> state_;
};

// Starts `request`; `done` runs exactly once on `loop`, never from inside this call.
[[nodiscard]] FetchHandle fetch(event::Loop& loop, FetchRequest request, FetchCallback done);

struct HttpUrl {
  bool tls = false;    // https
  std::string host;    // without brackets for IPv6
  uint16_t port = 80;  // 443 by default for https
  std::string target;  // "/path?query", never empty
};

// Splits an "http[s]://host[:port][/path][?query]" URL. Credentials and other schemes are
// errors.
Result<HttpUrl> parse_http_url(std::string_view url);

}  // namespace trib::http
