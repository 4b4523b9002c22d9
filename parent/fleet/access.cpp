#include "parent/fleet/access.h"

#include <nlohmann/json.hpp>

namespace trib::parent::fleet {
namespace {

// Compares without an early exit, so the time taken does not tell how much of a guess was right.
bool same_secret(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

// The token of "Bearer <t>" or "Token <t>" (scheme case-insensitive), or empty.
std::string_view presented_token(std::string_view header) {
  const size_t space = header.find(' ');
  if (space == std::string_view::npos) return {};
  const std::string_view scheme = header.substr(0, space);
  if (!http::iequals(scheme, "Bearer") && !http::iequals(scheme, "Token")) return {};
  std::string_view token = header.substr(space + 1);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  return token;
}

}  // namespace

Access check_access(const http::HttpRequest& request, const std::vector<std::string>& accepted) {
  bool guarded = false;
  for (const auto& token : accepted) guarded = guarded || !token.empty();
  if (!guarded) return Access::allowed;
  const std::string* header = request.header("Authorization");
  if (header == nullptr) return Access::missing_header;
  const std::string_view token = presented_token(*header);
  if (token.empty()) return Access::missing_header;
  bool match = false;
  for (const auto& expected : accepted) {
    match = (!expected.empty() && same_secret(token, expected)) || match;
  }
  return match ? Access::allowed : Access::invalid_token;
}

http::HttpResponse unauthorized(Access verdict) {
  auto response =
      json_error(401, "unauthorized",
                 verdict == Access::missing_header ? "Missing or invalid Authorization header"
                                                   : "Invalid token");
  response.headers.set("WWW-Authenticate", "Bearer");
  return response;
}

http::HttpResponse json_error(int status, std::string_view code, std::string_view message) {
  nlohmann::ordered_json body;
  body["error"] = code;
  body["message"] = message;
  return http::HttpResponse::json(status, body.dump());
}

}  // namespace trib::parent::fleet
