#pragma once
// HTTP/1.1 messages as the server hands them to handlers and the client returns them.
// Plain values: no loop, no thread affinity.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/http/url.h"

namespace trib::http {

// Header fields in arrival order. Names compare case-insensitively (RFC 9110 §5.1); a name may
// repeat (lookups return the first).
class Headers {
 public:
  using Entry = std::pair<std::string, std::string>;

  // The first value for `name`, or nullptr.
  const std::string* get(std::string_view name) const;
  bool has(std::string_view name) const { return get(name) != nullptr; }
  // Appends, keeping any earlier field of the same name.
  void add(std::string name, std::string value);
  // Replaces every field named `name` by one.
  void set(std::string name, std::string value);
  void remove(std::string_view name);
  void reserve(size_t fields) { entries_.reserve(fields); }

  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  auto begin() const { return entries_.begin(); }
  auto end() const { return entries_.end(); }

 private:
  std::vector<Entry> entries_;
};

// ASCII case-insensitive equality, for header names and tokens.
bool iequals(std::string_view a, std::string_view b);

// True when the comma-separated header value `list` holds `token` ("keep-alive, Upgrade").
bool has_token(std::string_view list, std::string_view token);

struct HttpRequest {
  std::string method;  // "GET", "POST"...
  std::string target;  // as sent: "/api/v1/data?chart=x%20y"
  std::string path;    // percent-decoded path of the target: "/api/v1/data"
  QueryParams query;   // decoded query parameters, in order
  Headers headers;
  std::string body;          // de-chunked
  int version_minor = 1;     // HTTP/1.<minor>
  bool keep_alive = true;    // the client allows another request on this connection
  std::string peer_address;  // "127.0.0.1", "::1"

  const std::string* header(std::string_view name) const { return headers.get(name); }
};

struct HttpResponse {
  int status = 200;
  Headers headers;
  std::string body;

  static HttpResponse json(int status, std::string body);
  static HttpResponse text(int status, std::string body);  // text/plain; charset=utf-8
};

// "OK", "Not Found"...; "Unknown" for a status without a standard phrase.
std::string_view reason_phrase(int status);

// RFC 9110 IMF-fixdate of `unix_seconds`: "Sun, 06 Nov 1994 08:49:37 GMT".
std::string http_date(long long unix_seconds);

}  // namespace trib::http
