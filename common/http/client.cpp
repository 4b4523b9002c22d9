#include "common/http/client.h"

#include <http_parser.h>

#include "common/event/timer.h"
#include "common/net/tcp.h"
#include "trib_version.h"

namespace trib::http {
namespace {

std::string host_header(const HttpUrl& url) {
  std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  if (url.port != (url.tls ? 443 : 80)) host += ":" + std::to_string(url.port);
  return host;
}

bool sends_body(const FetchRequest& request) {
  return !request.body.empty() || request.method == "POST" || request.method == "PUT" ||
         request.method == "PATCH";
}

std::string serialize_request(const FetchRequest& request, const HttpUrl& url) {
  std::string out = request.method + " " + url.target + " HTTP/1.1\r\n";
  auto line = [&out](std::string_view name, std::string_view value) {
    out.append(name).append(": ").append(value).append("\r\n");
  };
  if (!request.headers.has("Host")) line("Host", host_header(url));
  if (!request.headers.has("User-Agent")) line("User-Agent", std::string("tributary/") + kVersion);
  for (const auto& [name, value] : request.headers) {
    if (iequals(name, "Content-Length") || iequals(name, "Connection") ||
        iequals(name, "Transfer-Encoding")) {
      continue;
    }
    line(name, value);
  }
  if (sends_body(request)) line("Content-Length", std::to_string(request.body.size()));
  line("Connection", "close");
  out += "\r\n";
  out += request.body;
  return out;
}

}  // namespace

Result<HttpUrl> parse_http_url(std::string_view text) {
  http_parser_url url;
  http_parser_url_init(&url);
  if (http_parser_parse_url(text.data(), text.size(), 0, &url) != 0 ||
      (url.field_set & (1 << UF_SCHEMA)) == 0 || (url.field_set & (1 << UF_HOST)) == 0) {
    return Error(Errc::invalid_argument, "'" + std::string(text) + "' is not an absolute URL");
  }
  auto field = [&](int f) -> std::string_view {
    if ((url.field_set & (1 << f)) == 0) return {};
    return text.substr(url.field_data[f].off, url.field_data[f].len);
  };
  const auto scheme = field(UF_SCHEMA);
  const bool tls = iequals(scheme, "https");
  if (!tls && !iequals(scheme, "http")) {
    return Error(Errc::invalid_argument, "not an http URL: '" + std::string(text) + "'");
  }
  if ((url.field_set & (1 << UF_USERINFO)) != 0) {
    return Error(Errc::invalid_argument, "credentials in URLs are not supported");
  }
  HttpUrl out;
  out.tls = tls;
  out.port = tls ? 443 : 80;
  out.host = std::string(field(UF_HOST));
  if ((url.field_set & (1 << UF_PORT)) != 0) {
    if (url.port == 0)
      return Error(Errc::invalid_argument, "port 0 in '" + std::string(text) + "'");
    out.port = url.port;
  }
  out.target = std::string(field(UF_PATH));
  if (out.target.empty()) out.target = "/";
  if ((url.field_set & (1 << UF_QUERY)) != 0) out.target += "?" + std::string(field(UF_QUERY));
  return out;
}

struct ResponseParser::Impl {
  Impl(bool head, size_t max_body) : head_request(head), max_body_bytes(max_body) {
    http_parser_init(&parser, HTTP_RESPONSE);
    parser.data = this;
    settings.on_header_field = &on_header_field;
    settings.on_header_value = &on_header_value;
    settings.on_headers_complete = &on_headers_complete;
    settings.on_body = &on_body;
    settings.on_message_complete = &on_message_complete;
  }

  static Impl& of(http_parser* p) { return *static_cast<Impl*>(p->data); }

  // Parser callbacks only record; non-zero stops the parser.
  static int on_header_field(http_parser* p, const char* at, size_t len) {
    auto& self = of(p);
    if (self.last_was_value) self.flush_header();
    self.field.append(at, len);
    return 0;
  }
  static int on_header_value(http_parser* p, const char* at, size_t len) {
    auto& self = of(p);
    self.last_was_value = true;
    self.value.append(at, len);
    return 0;
  }
  static int on_headers_complete(http_parser* p) {
    auto& self = of(p);
    self.flush_header();
    self.response.status = p->status_code;
    return self.head_request ? 1 : 0;  // 1: no body follows
  }
  static int on_body(http_parser* p, const char* at, size_t len) {
    auto& self = of(p);
    if (self.response.body.size() + len > self.max_body_bytes) {
      self.failure =
          Error(Errc::limit_exceeded,
                "response body exceeds " + std::to_string(self.max_body_bytes) + " bytes");
      return -1;
    }
    self.response.body.append(at, len);
    return 0;
  }
  static int on_message_complete(http_parser* p) {
    auto& self = of(p);
    if (p->status_code >= 100 && p->status_code < 200 && p->status_code != 101) {
      self.response = FetchResponse{};  // interim answer: the real one follows
      return 0;
    }
    self.complete = true;
    http_parser_pause(p, 1);
    return 0;
  }

  void flush_header() {
    if (!field.empty() || !value.empty()) {
      response.headers.add(std::move(field), std::move(value));
    }
    field.clear();
    value.clear();
    last_was_value = false;
  }

  // Feeds `bytes` (nullptr/0 signals the end of the stream).
  Result<bool> execute(const char* bytes, size_t size) {
    if (complete) return true;
    if (HTTP_PARSER_ERRNO(&parser) == HPE_OK) http_parser_execute(&parser, &settings, bytes, size);
    if (complete) return true;
    const auto err = HTTP_PARSER_ERRNO(&parser);
    if (err == HPE_OK) return false;
    if (failure.code) return failure;
    return Error(Errc::protocol_error,
                 std::string("bad HTTP answer: ") + http_errno_description(err));
  }

  bool head_request;
  size_t max_body_bytes;
  http_parser parser{};
  http_parser_settings settings{};
  FetchResponse response;
  std::string field;
  std::string value;
  bool last_was_value = false;
  bool complete = false;
  Error failure;
};

ResponseParser::ResponseParser(bool head_request, size_t max_body_bytes)
    : impl_(std::make_unique<Impl>(head_request, max_body_bytes)) {}
ResponseParser::~ResponseParser() = default;

Result<bool> ResponseParser::parse(std::string_view bytes) {
  if (bytes.empty()) return impl_->complete;  // an empty feed would mean end of stream
  return impl_->execute(bytes.data(), bytes.size());
}

Result<bool> ResponseParser::finish() {
  auto done = impl_->execute(nullptr, 0);
  // http-parser reports a cut answer as an error; to the caller it is just incomplete.
  if (!done.ok() && !done.error().is(Errc::limit_exceeded)) return false;
  return done;
}

FetchResponse ResponseParser::take_response() { return std::move(impl_->response); }

// Everything about one exchange. Held by the handle and, while a callback runs, by that
// callback.
struct FetchHandle::State : std::enable_shared_from_this<FetchHandle::State> {
  State(event::Loop& l, FetchRequest r, FetchCallback cb)
      : loop(l),
        request(std::move(r)),
        done(std::move(cb)),
        deadline(l),
        parser(request.method == "HEAD", request.max_response_body_bytes) {}

  void start() {
    std::weak_ptr<State> weak = weak_from_this();
    auto parsed = parse_http_url(request.url);
    if (!parsed) {
      // Report from the loop, never from inside fetch().
      auto error = parsed.take_error();
      deadline.start(std::chrono::milliseconds(0), std::chrono::milliseconds(0), [weak, error] {
        if (auto self = weak.lock()) self->finish(error);
      });
      return;
    }
    url = std::move(parsed).value();
    deadline.start(request.timeout, std::chrono::milliseconds(0), [weak] {
      if (auto self = weak.lock()) {
        self->finish(Error(Errc::timeout, "no answer from " + self->request.url + " within " +
                                              std::to_string(self->request.timeout.count()) +
                                              " ms"));
      }
    });
    connecting =
        net::TcpConnect::start(loop, url.host, url.port, request.timeout,
                               [weak](Result<std::unique_ptr<net::TcpConnection>> connected) {
                                 if (auto self = weak.lock())
                                   self->on_connected(std::move(connected));
                               });
  }

  void on_connected(Result<std::unique_ptr<net::TcpConnection>> result) {
    if (finished) return;
    if (!result) {
      finish(result.take_error());
      return;
    }
    conn = std::move(result).value();
    if (url.tls) {
      secure();
      return;
    }
    send_request();
  }

  // The TLS handshake first: verification of the certificate and of the name in the URL.
  void secure() {
    if (!request.tls) {
      auto system_cas = net::TlsContext::client({});
      if (!system_cas.ok()) {
        finish(system_cas.take_error());
        return;
      }
      request.tls = std::move(system_cas).value();
    }
    auto engine = net::TlsEngine::create(request.tls, url.host);
    if (!engine.ok()) {
      finish(engine.take_error());
      return;
    }
    std::weak_ptr<State> weak = weak_from_this();
    conn->start_tls(std::move(engine).value(), {}, [weak](Result<std::string> early) {
      auto self = weak.lock();
      if (!self || self->finished) return;
      if (!early.ok()) {
        const Error& why = early.error();
        self->finish(Error(why.code, "TLS with " + self->request.url + ": " + why.message));
        return;
      }
      self->send_request();
      if (!self->finished && !early->empty()) self->on_data(*early);
    });
  }

  void send_request() {
    std::weak_ptr<State> weak = weak_from_this();
    conn->start_reading(
        [weak](std::string_view bytes) {
          if (auto self = weak.lock()) self->on_data(bytes);
        },
        [weak](const Error& why) {
          if (auto self = weak.lock()) self->on_end(why);
        });
    conn->write(serialize_request(request, url), [weak](const Status& status) {
      auto self = weak.lock();
      if (self && !status.ok()) self->finish(status.error());
    });
  }

  void on_data(std::string_view bytes) {
    if (finished) return;
    on_parsed(parser.parse(bytes));
  }

  void on_end(const Error& why) {
    if (finished) return;
    if (!why.is(Errc::closed)) {
      finish(Error(why.code, "reading the answer from " + request.url + ": " + why.message));
      return;
    }
    on_parsed(parser.finish());
    if (!finished) {
      finish(Error(Errc::closed, request.url + " closed the connection before a full answer"));
    }
  }

  void on_parsed(Result<bool> complete) {
    if (!complete.ok()) {
      const auto& error = complete.error();
      finish(Error(error.code, error.message + " (from " + request.url + ")"));
    } else if (*complete) {
      finish(parser.take_response());
    }
  }

  void finish(Result<FetchResponse> result) {
    if (finished) return;
    finished = true;
    auto keep = shared_from_this();
    deadline.stop();
    connecting.reset();
    conn.reset();
    auto cb = std::move(done);
    done = nullptr;
    if (cb) cb(std::move(result));
  }

  void cancel() {
    finished = true;
    done = nullptr;
    deadline.stop();
    connecting.reset();
    conn.reset();
  }

  event::Loop& loop;
  FetchRequest request;
  FetchCallback done;
  HttpUrl url;
  event::Timer deadline;
  ResponseParser parser;
  std::unique_ptr<net::TcpConnect> connecting;
  std::unique_ptr<net::TcpConnection> conn;
  bool finished = false;
};

FetchHandle& FetchHandle::operator=(FetchHandle&& other) noexcept {
  if (this != &other) {
    cancel();
    state_ = std::move(other.state_);
  }
  return *this;
}

FetchHandle::~FetchHandle() { cancel(); }

void FetchHandle::cancel() {
  if (state_) state_->cancel();
  state_.reset();
}

bool FetchHandle::active() const { return state_ && !state_->finished; }

FetchHandle fetch(event::Loop& loop, FetchRequest request, FetchCallback done) {
  FetchHandle handle;
  handle.state_ = std::make_shared<FetchHandle::State>(loop, std::move(request), std::move(done));
  handle.state_->start();
  return handle;
}

}  // namespace trib::http
