#pragma once
// Incremental HTTP/1.x request parsing over http-parser 2.9, with no socket attached, so the
// server and the fuzz target drive exactly the same code. One parser per connection; it
// produces one request at a time (pipelined bytes wait in the caller's buffer).

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "common/http/message.h"

namespace trib::http {

// Bounds on what one client may make the server hold or wait for.
struct HttpLimits {
  size_t max_head_bytes = 16 * 1024;    // request line + headers; above: 431 (414 for the URL)
  size_t max_body_bytes = 1024 * 1024;  // de-chunked body; above: 413
  // A keep-alive connection with no request in progress is closed after this.
  std::chrono::milliseconds idle_timeout{60'000};
  // A request's head must be complete this long after its first byte (slowloris); the first
  // request of a connection counts from the connection's adoption.
  std::chrono::milliseconds head_timeout{10'000};
};

class RequestParser {
 public:
  enum class Phase {
    idle,  // between requests: nothing of the next one seen
    head,  // inside a request line or headers
    body,  // headers done, body still arriving
  };

  struct Step {
    enum class Kind {
      need_more,  // every byte consumed; feed more
      request,    // a request is complete: take_request(); `consumed` may be < input size
      error,      // the stream is not acceptable; answer `status` and close
    };
    Kind kind = Kind::need_more;
    size_t consumed = 0;
    // need_more only: the client sent "Expect: 100-continue" and waits for a 100 before the
    // body. Set once per request.
    bool send_continue = false;
    int status = 0;      // error only: 400, 413, 414, 431, 505
    std::string reason;  // error only: what was wrong, for the log
  };

  explicit RequestParser(const HttpLimits& limits);
  ~RequestParser();
  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;

  // Parses bytes from the front of `input`, stopping after one complete request. After a
  // request, call take_request() and feed the unconsumed rest again. After an error every
  // call returns the same error.
  Step parse(std::string_view input);

  // The request completed by the last parse(); valid once per completed request.
  HttpRequest take_request();

  Phase phase() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace trib::http
