#include "common/http/request_parser.h"

#include <http_parser.h>

#include <limits>

namespace trib::http {
namespace {

// What a header line costs beyond its name and value: ": " and CRLF.
constexpr size_t kHeaderLineOverhead = 4;
// The request line beyond the URL: method, spaces, "HTTP/1.1", CRLF.
constexpr size_t kRequestLineOverhead = 20;
// Room for the header fields of a usual request, made once instead of growing 1, 2, 4, 8.
constexpr size_t kUsualHeaderFields = 8;

}  // namespace

struct RequestParser::Impl {
  explicit Impl(const HttpLimits& l) : limits(l) {
    http_parser_init(&parser, HTTP_REQUEST);
    parser.data = this;
    settings.on_message_begin = &on_message_begin;
    settings.on_url = &on_url;
    settings.on_header_field = &on_header_field;
    settings.on_header_value = &on_header_value;
    settings.on_headers_complete = &on_headers_complete;
    settings.on_body = &on_body;
    settings.on_message_complete = &on_message_complete;
  }

  static Impl& of(http_parser* p) { return *static_cast<Impl*>(p->data); }

  // Parser callbacks: they only record; returning non-zero stops the parser with `failure`.
  static int on_message_begin(http_parser* p) {
    auto& self = of(p);
    self.request = HttpRequest{};
    self.request.headers.reserve(kUsualHeaderFields);
    self.field.clear();
    self.value.clear();
    self.head_bytes = kRequestLineOverhead;
    self.last_was_value = false;
    self.continue_pending = false;
    self.phase = Phase::head;
    return 0;
  }

  static int on_url(http_parser* p, const char* at, size_t len) {
    auto& self = of(p);
    self.request.target.append(at, len);
    return self.count_head(len, 414, "request target too long");
  }

  static int on_header_field(http_parser* p, const char* at, size_t len) {
    auto& self = of(p);
    if (self.last_was_value) {  // a new field begins; a field may come in several pieces
      self.flush_header();
      self.last_was_value = false;
    }
    if (self.field.empty()) self.head_bytes += kHeaderLineOverhead;
    self.field.append(at, len);
    return self.count_head(len, 431, "request header fields too large");
  }

  static int on_header_value(http_parser* p, const char* at, size_t len) {
    auto& self = of(p);
    self.last_was_value = true;
    self.value.append(at, len);
    return self.count_head(len, 431, "request header fields too large");
  }

  static int on_headers_complete(http_parser* p) {
    auto& self = of(p);
    self.flush_header();
    if (p->http_major != 1) return self.fail(505, "unsupported HTTP version");
    const bool has_length = (p->flags & F_CONTENTLENGTH) != 0;
    if (has_length && p->content_length > self.limits.max_body_bytes) {
      return self.fail(413, "declared body of " + std::to_string(p->content_length) +
                                " bytes exceeds the limit");
    }
    if (const int rc = self.split_target(); rc != 0) return rc;
    if (has_length) self.request.body.reserve(p->content_length);  // checked against the limit
    const bool expects_body = (p->flags & F_CHUNKED) != 0 || (has_length && p->content_length > 0);
    const auto* expect = self.request.header("Expect");
    self.continue_pending =
        expects_body && p->http_minor >= 1 && expect != nullptr && iequals(*expect, "100-continue");
    self.phase = Phase::body;
    return 0;
  }

  static int on_body(http_parser* p, const char* at, size_t len) {
    auto& self = of(p);
    if (self.request.body.size() + len > self.limits.max_body_bytes) {
      return self.fail(
          413, "request body exceeds " + std::to_string(self.limits.max_body_bytes) + " bytes");
    }
    self.request.body.append(at, len);
    return 0;
  }

  static int on_message_complete(http_parser* p) {
    auto& self = of(p);
    self.request.method = http_method_str(static_cast<http_method>(p->method));
    self.request.version_minor = p->http_minor;
    // No upgrade is supported: after answering, the connection ends.
    self.request.keep_alive = http_should_keep_alive(p) != 0 && p->upgrade == 0;
    self.complete = true;
    self.phase = Phase::idle;
    http_parser_pause(p, 1);  // one request per parse() call
    return 0;
  }

  int count_head(size_t len, int status, const char* reason) {
    head_bytes += len;
    return head_bytes > limits.max_head_bytes ? fail(status, reason) : 0;
  }

  // Non-zero stops the parser; -1 because on_headers_complete gives 1 and 2 other meanings.
  int fail(int status, std::string reason) {
    failure.status = status;
    failure.reason = std::move(reason);
    return -1;
  }

  void flush_header() {
    if (field.empty() && value.empty()) return;
    request.headers.add(std::move(field), std::move(value));
    field.clear();
    value.clear();
  }

  // Fills path and query from the target: origin form ("/p?q"), absolute form
  // ("http://h/p?q"), authority form (CONNECT) or "*".
  int split_target() {
    const std::string& target = request.target;
    if (target == "*") {
      request.path = "*";
      return 0;
    }
    http_parser_url url;
    http_parser_url_init(&url);
    const int is_connect = parser.method == HTTP_CONNECT ? 1 : 0;
    if (http_parser_parse_url(target.data(), target.size(), is_connect, &url) != 0) {
      return fail(400, "malformed request target");
    }
    auto field_of = [&](int f) -> std::string_view {
      if ((url.field_set & (1 << f)) == 0) return {};
      return std::string_view(target).substr(url.field_data[f].off, url.field_data[f].len);
    };
    auto path = url_decode(field_of(UF_PATH), false);
    if (!path) return fail(400, "bad escape in request path");
    request.path = std::move(path).value();
    if (request.path.empty() && !is_connect) request.path = "/";
    auto query = parse_query(field_of(UF_QUERY));
    if (!query) return fail(400, "bad escape in query string");
    request.query = std::move(query).value();
    return 0;
  }

  Step parse(std::string_view input) {
    Step step;
    if (HTTP_PARSER_ERRNO(&parser) == HPE_PAUSED) http_parser_pause(&parser, 0);
    if (HTTP_PARSER_ERRNO(&parser) == HPE_OK && !input.empty()) {
      step.consumed = http_parser_execute(&parser, &settings, input.data(), input.size());
    }
    const auto err = HTTP_PARSER_ERRNO(&parser);
    if (err != HPE_OK && err != HPE_PAUSED) {
      if (failure.status == 0) {
        failure.status = err == HPE_HEADER_OVERFLOW ? 431 : 400;
        failure.reason = http_errno_description(err);
      }
      step.kind = Step::Kind::error;
      step.consumed = input.size();
      step.status = failure.status;
      step.reason = failure.reason;
      return step;
    }
    if (complete) {
      step.kind = Step::Kind::request;
      return step;
    }
    step.send_continue = continue_pending;
    continue_pending = false;
    return step;
  }

  HttpLimits limits;
  http_parser parser{};
  http_parser_settings settings{};
  Phase phase = Phase::idle;
  HttpRequest request;
  std::string field;
  std::string value;
  bool last_was_value = false;
  bool continue_pending = false;
  bool complete = false;
  size_t head_bytes = 0;
  Step failure;
};

RequestParser::RequestParser(const HttpLimits& limits) : impl_(std::make_unique<Impl>(limits)) {}
RequestParser::~RequestParser() = default;

RequestParser::Step RequestParser::parse(std::string_view input) { return impl_->parse(input); }

HttpRequest RequestParser::take_request() {
  impl_->complete = false;
  return std::move(impl_->request);
}

RequestParser::Phase RequestParser::phase() const { return impl_->phase; }

}  // namespace trib::http
