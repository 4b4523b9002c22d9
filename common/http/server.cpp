#include "common/http/server.h"

#include <algorithm>
#include <ctime>

#include "common/log/log.h"
#include "trib_version.h"

namespace trib::http {
namespace {

using std::chrono::milliseconds;

// Pipelined bytes held while a request is being handled; above this, reading pauses.
constexpr size_t kMaxBufferedInput = 64 * 1024;
// After an error answer the client may still be sending (a body we refused, say); closing with
// unread bytes resets the connection and can destroy the answer before the client reads it.
// So incoming bytes are drained until the client is quiet this long, or closes...
constexpr milliseconds kLingerQuiet{200};
// ...but never longer than this.
constexpr milliseconds kLingerMax{2'000};

bool has_no_body(int status) { return status < 200 || status == 204 || status == 304; }

void append_header_line(std::string& out, std::string_view name, std::string_view value) {
  // A handler may copy client text into a header: never let it start a new line.
  for (const char c : name) out += (c == '\r' || c == '\n' || c == ':') ? '_' : c;
  out += ": ";
  for (const char c : value) out += (c == '\r' || c == '\n') ? ' ' : c;
  out += "\r\n";
}

}  // namespace

std::string serialize_response(const HttpResponse& response, bool head_request, int version_minor,
                               bool close, long long now_unix_seconds) {
  std::string out;
  out.reserve(192 + response.body.size());  // one allocation for a usual answer
  serialize_response_into(out, response, head_request, version_minor, close, now_unix_seconds);
  return out;
}

void serialize_response_into(std::string& out, const HttpResponse& response, bool head_request,
                             int version_minor, bool close, long long now_unix_seconds) {
  static const std::string kServer = std::string("tributary/") + kVersion;
  out += "HTTP/1.1 ";
  out += std::to_string(response.status);
  out += ' ';
  out += reason_phrase(response.status);
  out += "\r\n";
  for (const auto& [name, value] : response.headers) {
    // Framing and connection management are the server's.
    if (iequals(name, "Content-Length") || iequals(name, "Transfer-Encoding") ||
        iequals(name, "Connection")) {
      continue;
    }
    append_header_line(out, name, value);
  }
  if (!response.headers.has("Date")) {
    // Formatted once a second per thread: a heartbeat storm answers thousands per second.
    thread_local long long date_second = -1;
    thread_local std::string date;
    if (now_unix_seconds != date_second) {
      date = http_date(now_unix_seconds);
      date_second = now_unix_seconds;
    }
    append_header_line(out, "Date", date);
  }
  if (!response.headers.has("Server")) {
    append_header_line(out, "Server", kServer);
  }
  const bool no_body = has_no_body(response.status);
  if (!no_body) append_header_line(out, "Content-Length", std::to_string(response.body.size()));
  if (close) {
    append_header_line(out, "Connection", "close");
  } else if (version_minor == 0) {
    append_header_line(out, "Connection", "keep-alive");
  }
  out += "\r\n";
  if (!no_body && !head_request) out += response.body;
}

// One connection being served. Owned by its HttpServer (shared so Responders can hold weak
// references); lives on the server's loop. Methods check `closed_` after calling out (a handler
// may close everything), and a closed session is destroyed only on a later loop turn.
class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(HttpServer& server, std::unique_ptr<net::TcpConnection> conn, std::string input)
      : server_(server),
        conn_(std::move(conn)),
        peer_(conn_->peer()),
        parser_(server.limits_),
        input_(std::move(input)),
        timer_(server.loop_),
        sniffing_(!server.takeovers_.empty()) {}

  void start() {
    std::weak_ptr<HttpSession> weak = weak_from_this();
    written_ = [weak](const Status& status) {
      if (auto self = weak.lock()) self->on_written(status);
    };
    // The connection calls back only while it lives, and this session owns it: `this` is
    // valid in its callbacks (a pointer, unlike a weak_ptr, makes copying them allocation
    // free: TcpConnection copies the data callback for every read). The shared_ptr keeps the
    // session alive while a callback closes it.
    conn_->start_reading(
        [this](std::string_view bytes) {
          auto self = shared_from_this();
          on_data(bytes);
        },
        [this](const Error& why) {
          auto self = shared_from_this();
          on_end(why);
        });
    pump();
  }

  void respond(uint64_t sequence, HttpResponse response) {
    if (closed_ || !in_flight_ || sequence != sequence_) return;
    in_flight_ = false;
    ++served_;
    const auto* connection = response.headers.get("Connection");
    const bool close = !current_.keep_alive || closing_ ||
                       (connection != nullptr && has_token(*connection, "close"));
    // Serialized into one buffer per connection, written without a copy when the kernel
    // takes it at once (the usual case for an answer of a few hundred bytes).
    output_.clear();
    serialize_response_into(output_, response, current_.method == "HEAD", current_.version_minor,
                            close, static_cast<long long>(std::time(nullptr)));
    send(output_);
    if (closed_) return;
    if (close) {
      close_after_flush(false);
      return;
    }
    if (!pumping_) pump();
  }

  void dropped_responder(uint64_t sequence) {
    if (closed_ || !in_flight_ || sequence != sequence_) return;
    TRIB_LOG(http, warn, "[http:{}] {} {}: handler dropped its responder; answering 500", peer_,
             current_.method, current_.path);
    respond(sequence, HttpResponse::text(500, "internal error: request was not answered\n"));
  }

  // Immediate close, for shutdown and dead peers; pending writes are abandoned.
  void close_now() {
    if (closed_) return;
    closed_ = true;
    timer_.stop();
    conn_.reset();
    server_.retire(this);
  }

 private:
  enum class Deadline { none, head, idle, body, linger };

  struct InFlight {
    std::string method;
    std::string path;
    int version_minor = 1;
    bool keep_alive = true;
  };

  void on_data(std::string_view bytes) {
    if (closed_) return;
    if (closing_) {  // after the last answer: discard
      if (deadline_ == Deadline::linger) extend_linger();
      return;
    }
    input_.append(bytes);
    body_activity_ = true;
    if (in_flight_) {
      apply_backpressure();
      return;
    }
    pump();
  }

  void on_end(const Error& why) {
    if (closed_) return;
    peer_ended_ = true;
    if (!why.is(Errc::closed)) {
      TRIB_LOG(http, debug, "[http:{}] {}; closing", peer_, why.describe());
      close_now();
      return;
    }
    if (closing_) {
      if (writes_pending_ == 0) close_now();
      return;
    }
    if (!in_flight_) pump();
  }

  // Parses and dispatches buffered requests until one is in flight or more bytes are needed.
  void pump() {
    pumping_ = true;
    while (!closed_ && !closing_ && !in_flight_) {
      if (sniffing_ && sniff()) break;
      auto step = parser_.parse(input_);
      input_.erase(0, step.consumed);
      if (step.kind == RequestParser::Step::Kind::error) {
        reject(step.status, step.reason);
        break;
      }
      if (step.kind == RequestParser::Step::Kind::need_more) {
        if (step.send_continue) send("HTTP/1.1 100 Continue\r\n\r\n");
        break;
      }
      dispatch(parser_.take_request());
    }
    pumping_ = false;
    if (closed_ || closing_) return;
    if (peer_ended_ && !in_flight_) {
      end_of_input();
      return;
    }
    apply_backpressure();
    update_deadline();
  }

  // Before any request: hands the connection over when its first bytes match a takeover
  // prefix. True when the session must stop parsing (handed over, or too few bytes to tell).
  bool sniff() {
    bool maybe = false;
    for (const auto& takeover : server_.takeovers_) {
      const auto& prefix = takeover.prefix;
      const size_t n = std::min(input_.size(), prefix.size());
      if (input_.compare(0, n, prefix, 0, n) != 0) continue;
      if (input_.size() >= prefix.size()) {
        hand_over(takeover.handler);
        return true;
      }
      maybe = true;
    }
    if (maybe) return true;
    sniffing_ = false;
    return false;
  }

  void hand_over(HttpServer::TakeoverHandler handler) {
    auto conn = std::move(conn_);
    // Detach our callbacks and leave it paused for the new owner.
    conn->start_reading([](std::string_view) {}, [](const Error&) {});
    conn->pause_reading();
    auto bytes = std::move(input_);
    close_now();
    if (handler) handler(std::move(conn), std::move(bytes));
  }

  void dispatch(HttpRequest request) {
    sniffing_ = false;
    in_flight_ = true;
    ++sequence_;
    current_ = {request.method, request.path, request.version_minor, request.keep_alive};
    request.peer_address = conn_->peer_address();
    deadline_ = Deadline::none;  // the timer may stay armed: on_timer() ignores it
    auto handler = server_.handler_;
    if (!handler) {
      respond(sequence_, HttpResponse::text(404, "not found\n"));
      return;
    }
    handler(std::move(request), Responder(weak_from_this(), sequence_));
  }

  // A request that cannot be served: answer, log one line, close.
  void reject(int status, const std::string& reason) {
    TRIB_LOG(http, info, "[http:{}] {} {}: closing", peer_, status, reason);
    send(serialize_response(HttpResponse::text(status, std::string(reason_phrase(status)) + "\n"),
                            false, 1, true, static_cast<long long>(std::time(nullptr))));
    close_after_flush(true);
  }

  // The client closed its sending side and everything it sent was answered.
  void end_of_input() {
    if (parser_.phase() != RequestParser::Phase::idle || !input_.empty()) {
      TRIB_LOG(http, info, "[http:{}] connection closed in the middle of a request", peer_);
    }
    close_after_flush(false);
  }

  // Counted before the write: a TLS failure calls on_written() before write_now() returns.
  void send(std::string_view bytes) {
    ++writes_pending_;
    if (conn_->write_now(bytes, written_)) --writes_pending_;
  }

  void on_written(const Status& status) {
    if (closed_) return;
    --writes_pending_;
    if (!status.ok()) {
      TRIB_LOG(http, debug, "[http:{}] {}; closing", peer_, status.error().describe());
      close_now();
      return;
    }
    if (closing_ && writes_pending_ == 0) after_flush();
  }

  // Stops parsing; closes once every queued byte reached the kernel.
  void close_after_flush(bool linger) {
    if (closed_) return;  // a failed write closed it already
    closing_ = true;
    linger_ = linger;
    timer_.stop();
    deadline_ = Deadline::none;
    if (writes_pending_ == 0) after_flush();
  }

  void after_flush() {
    if (!linger_ || peer_ended_) {
      close_now();
      return;
    }
    conn_->resume_reading();
    linger_start_ms_ = server_.loop_.now_ms();
    set_deadline(Deadline::linger, kLingerQuiet);
  }

  void extend_linger() {
    const auto elapsed = milliseconds(server_.loop_.now_ms() - linger_start_ms_);
    if (elapsed >= kLingerMax) {
      close_now();
      return;
    }
    set_deadline(Deadline::linger, std::min(kLingerQuiet, kLingerMax - elapsed));
  }

  void apply_backpressure() {
    if (in_flight_ && input_.size() > kMaxBufferedInput) {
      conn_->pause_reading();
    } else {
      conn_->resume_reading();
    }
  }

  // Picks the timer for what the connection is waiting for. The head deadline is not pushed
  // back by trickling bytes; the body and idle timers are.
  void update_deadline() {
    const auto phase = parser_.phase();
    const auto& limits = server_.limits_;
    if (phase == RequestParser::Phase::body) {
      if (deadline_ != Deadline::body || body_activity_) {
        set_deadline(Deadline::body, limits.idle_timeout);
      }
    } else if (phase == RequestParser::Phase::head || served_ == 0) {
      if (deadline_ != Deadline::head) set_deadline(Deadline::head, limits.head_timeout);
    } else if (deadline_ != Deadline::idle) {
      set_deadline(Deadline::idle, limits.idle_timeout);
    }
    body_activity_ = false;
  }

  // The timer is re-armed only when the new deadline is earlier than the one it is armed for:
  // a keep-alive connection moves its idle deadline on every request, and moving a libuv
  // timer is two heap operations among all connections' timers. Firing early is checked in
  // on_timer().
  void set_deadline(Deadline kind, milliseconds after) {
    deadline_ = kind;
    deadline_ms_ = server_.loop_.now_ms() + static_cast<uint64_t>(after.count());
    if (!timer_.active() || deadline_ms_ < timer_due_ms_) arm_timer(after);
  }

  void arm_timer(milliseconds after) {
    timer_due_ms_ = server_.loop_.now_ms() + static_cast<uint64_t>(after.count());
    timer_.start(after, milliseconds(0), [this] { on_timer(); });
  }

  void on_timer() {
    if (deadline_ == Deadline::none) return;
    const uint64_t now = server_.loop_.now_ms();
    if (now < deadline_ms_) {
      arm_timer(milliseconds(deadline_ms_ - now));
      return;
    }
    on_deadline();
  }

  void on_deadline() {
    auto self = shared_from_this();
    switch (deadline_) {
      case Deadline::none:
        return;
      case Deadline::linger:
        close_now();
        return;
      case Deadline::idle:
        TRIB_LOG(http, debug, "[http:{}] idle keep-alive connection closed", peer_);
        close_now();
        return;
      case Deadline::head:
        if (parser_.phase() == RequestParser::Phase::idle && input_.empty()) {
          TRIB_LOG(http, info, "[http:{}] no request within {} ms; closing", peer_,
                   server_.limits_.head_timeout.count());
          close_now();
          return;
        }
        timed_out("request head not complete");
        return;
      case Deadline::body:
        timed_out("request body stalled");
        return;
    }
  }

  void timed_out(const char* what) {
    TRIB_LOG(http, info, "[http:{}] 408 {}; closing", peer_, what);
    send(serialize_response(HttpResponse::text(408, "Request Timeout\n"), false, 1, true,
                            static_cast<long long>(std::time(nullptr))));
    close_after_flush(false);
  }

  HttpServer& server_;
  std::unique_ptr<net::TcpConnection> conn_;
  std::string peer_;  // "ip:port" for log lines
  RequestParser parser_;
  std::string input_;                      // received, not yet parsed
  std::string output_;                     // the answer being written; reused
  net::TcpConnection::WriteDone written_;  // built once: a std::function per write allocates
  event::Timer timer_;
  Deadline deadline_ = Deadline::none;
  uint64_t deadline_ms_ = 0;   // loop time at which deadline_ expires
  uint64_t timer_due_ms_ = 0;  // loop time the timer is armed for, while active
  InFlight current_;
  uint64_t sequence_ = 0;
  uint64_t served_ = 0;
  size_t writes_pending_ = 0;
  bool sniffing_;               // no request yet and takeover prefixes registered
  bool in_flight_ = false;      // a handler holds the Responder of the current request
  bool pumping_ = false;        // inside pump(): respond() must not re-enter it
  bool body_activity_ = false;  // bytes arrived since the deadline was last set
  bool peer_ended_ = false;     // EOF from the client
  bool closing_ = false;        // last answer queued; nothing more is parsed
  bool linger_ = false;
  uint64_t linger_start_ms_ = 0;
  bool closed_ = false;
};

Responder::Responder(Responder&& other) noexcept
    : session_(std::move(other.session_)), sequence_(other.sequence_) {
  other.session_.reset();
}

Responder& Responder::operator=(Responder&& other) noexcept {
  if (this != &other) {
    if (auto session = session_.lock()) session->dropped_responder(sequence_);
    session_ = std::move(other.session_);
    sequence_ = other.sequence_;
    other.session_.reset();
  }
  return *this;
}

Responder::~Responder() {
  if (auto session = session_.lock()) session->dropped_responder(sequence_);
}

void Responder::respond(HttpResponse response) {
  auto session = session_.lock();
  session_.reset();
  if (session) session->respond(sequence_, std::move(response));
}

HttpServer::HttpServer(event::Loop& loop, HttpLimits limits)
    : loop_(loop), limits_(limits), reaper_(loop) {}

HttpServer::~HttpServer() {
  close_all();
  retired_.clear();
}

void HttpServer::set_handler(Handler handler) { handler_ = std::move(handler); }

void HttpServer::set_takeover(std::string prefix, TakeoverHandler handler) {
  takeovers_.push_back({std::move(prefix), std::move(handler)});
}

void HttpServer::adopt(std::unique_ptr<net::TcpConnection> conn, std::string already_read) {
  auto session = std::make_shared<HttpSession>(*this, std::move(conn), std::move(already_read));
  sessions_.emplace(session.get(), session);
  session->start();
}

void HttpServer::close_all() {
  auto sessions = std::move(sessions_);
  sessions_.clear();
  for (auto& [raw, session] : sessions) {
    session->close_now();
    retired_.push_back(std::move(session));
  }
  if (!retired_.empty())
    reaper_.start(milliseconds(0), milliseconds(0), [this] { retired_.clear(); });
}

void HttpServer::retire(HttpSession* session) {
  auto it = sessions_.find(session);
  if (it == sessions_.end()) return;
  retired_.push_back(std::move(it->second));
  sessions_.erase(it);
  reaper_.start(milliseconds(0), milliseconds(0), [this] { retired_.clear(); });
}

}  // namespace trib::http
