#include "common/stream/handshake.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

#include "common/http/url.h"
#include "trib_version.h"

namespace trib::stream {
namespace {

constexpr std::string_view kRequestEnd = "\r\n\r\n";
constexpr std::string_view kMethod = "STREAM ";
constexpr std::string_view kHttpVersionMarker = " HTTP/";

constexpr std::string_view kPromptV1 = "Hit me baby, push them over...";
constexpr std::string_view kPromptV2 = "Hit me baby, push them over and bring the host labels...";
constexpr std::string_view kPromptVN = "Hit me baby, push them over with the version=";
constexpr std::string_view kReplyDenied =
    "You are not permitted to access this. Check the logs for more info.";
constexpr std::string_view kReplyAlreadyStreaming = "This GUID is already streaming to this server";
constexpr std::string_view kReplyLocalhost =
    "Don't hit me baby, you are trying to stream my localhost back";
constexpr std::string_view kReplyBusy =
    "The server is too busy now to accept this request. Try later.";
constexpr std::string_view kReplyForbidden = "You are not allowed to access this resource.";
constexpr std::string_view kReplyBadRequest =
    "HTTP/1.1 400 Bad Request\r\n"
    "Connection: close\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Length: 27\r\n"
    "\r\n"
    "I don't understand you...\r\n";

constexpr std::string_view kTributaryPrefix = "TRIBUTARY/";
// A Tributary reply line longer than this is garbage, not a partial line.
constexpr size_t kMaxTributaryReplyLine = 1024;

constexpr std::array kAllRefusals = {Refusal::denied,    Refusal::already_streaming,
                                     Refusal::localhost, Refusal::busy,
                                     Refusal::forbidden, Refusal::bad_request};

// Netdata reads numbers with strtoul/atoi: leading digits count, the rest is ignored, garbage
// is 0. Values that do not fit are clamped rather than wrapped.
uint64_t leading_unsigned(std::string_view text) {
  uint64_t value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range) return UINT64_MAX;
  return ptr == text.data() ? 0 : value;
}

int32_t leading_int32(std::string_view text, int32_t fallback) {
  int64_t value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ptr == text.data()) return fallback;
  if (ec == std::errc::result_out_of_range) return value < 0 ? INT32_MIN : INT32_MAX;
  return static_cast<int32_t>(std::clamp<int64_t>(value, INT32_MIN, INT32_MAX));
}

bool has_control_bytes(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7F;
  });
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> items;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const std::string_view item = trim(text.substr(0, comma));
    if (!item.empty()) items.emplace_back(item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return items;
}

std::string join_list(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out.push_back(',');
    out += item;
  }
  return out;
}

Error bad_request(std::string what) {
  return Error(Errc::parse_error, "bad STREAM request: " + std::move(what));
}

// Applies one decoded `name=value` field to the request.
Status apply_field(HandshakeRequest& request, std::string name, std::string value) {
  model::HostInfo& host = request.host;
  if (name == "key") {
    request.api_key = std::move(value);
  } else if (name == "hostname") {
    host.hostname = std::move(value);
  } else if (name == "machine_guid") {
    host.machine_guid = std::move(value);
  } else if (name == "os") {
    host.os = std::move(value);
  } else if (name == "timezone") {
    host.timezone = std::move(value);
  } else if (name == "update_every") {
    host.update_every = std::max(1, leading_int32(value, 1));
  } else if (name == "hops") {
    host.hops = leading_int32(value, 1);
  } else if (name == "ver") {
    request.netdata_caps = leading_unsigned(value);
    request.has_ver = true;
  } else if (name == "tributary") {
    const uint64_t version = leading_unsigned(value);
    if (version == 0 || version > UINT32_MAX) {
      return bad_request("tributary protocol version '" + value + "' is not a positive number");
    }
    request.tributary = true;
    request.tributary_version = static_cast<uint32_t>(version);
  } else if (name == "caps") {
    request.tributary_caps = split_list(value);
  } else if (name == "path") {
    request.path = split_list(value);
  } else if (name == "path_guids") {
    request.path_guids = split_list(value);
  } else {
    request.other_fields.emplace_back(std::move(name), std::move(value));
  }
  return {};
}

Status parse_query_into(std::string_view query, HandshakeRequest& request) {
  // Each piece is decoded after the split, so a `%26` inside a value stays in that value (the
  // stock parent decodes first and would split there; nothing legitimate relies on that).
  TRIB_ASSIGN_OR_RETURN(http::QueryParams params, http::parse_query(query));
  for (auto& [name, value] : params) {
    if (has_control_bytes(name) || has_control_bytes(value)) {
      return bad_request("field '" + http::url_encode(name) + "' holds control characters");
    }
    if (value.empty()) continue;  // Netdata skips empty values: `tags=` is absent
    TRIB_TRY(apply_field(request, std::move(name), std::move(value)));
  }
  return {};
}

void parse_headers(std::string_view headers, HandshakeRequest& request) {
  while (!headers.empty()) {
    const auto eol = headers.find("\r\n");
    const std::string_view line = headers.substr(0, eol);
    headers = eol == std::string_view::npos ? std::string_view{} : headers.substr(eol + 2);
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;  // lenient, as Netdata's web server
    if (!iequals(trim(line.substr(0, colon)), "User-Agent")) continue;
    const std::string_view agent = trim(line.substr(colon + 1));
    request.user_agent = std::string(agent);
    const auto slash = agent.find('/');
    request.host.program_name = std::string(agent.substr(0, slash));
    request.host.program_version =
        slash == std::string_view::npos ? std::string{} : std::string(agent.substr(slash + 1));
  }
}

// A request parsed from the wire starts from Netdata's defaults for absent fields, not from
// HostInfo's defaults for a local host.
HandshakeRequest request_with_netdata_defaults() {
  HandshakeRequest request;
  request.host.os = "unknown";
  request.host.timezone = "unknown";
  request.host.program_name = "unknown";
  request.host.hops = 1;
  return request;
}

std::optional<Refusal> refusal_from_code(std::string_view code) {
  for (const Refusal r : kAllRefusals) {
    if (refusal_code(r) == code) return r;
  }
  return std::nullopt;
}

// Parses a complete Tributary line (without its CRLF).
Result<HandshakeReply> parse_tributary_line(std::string_view line) {
  auto bad = [&](std::string_view what) {
    return Error(Errc::protocol_error, "bad Tributary handshake reply (" + std::string(what) +
                                           "): '" + http::url_encode(line.substr(0, 200)) + "'");
  };
  line.remove_prefix(kTributaryPrefix.size());
  const auto space = line.find(' ');
  if (space == std::string_view::npos) return bad("no status");
  const uint64_t version = leading_unsigned(line.substr(0, space));
  if (version == 0 || version > UINT32_MAX) return bad("version");
  std::string_view rest = line.substr(space + 1);

  HandshakeReply reply;
  reply.tributary_version = static_cast<uint32_t>(version);
  if (rest.starts_with("REFUSED ") || rest == "REFUSED") {
    rest.remove_prefix(std::min(rest.size(), std::string_view("REFUSED ").size()));
    const auto code_end = rest.find(' ');
    const std::string_view code = rest.substr(0, code_end);
    if (code.empty()) return bad("no reason code");
    reply.kind = ReplyKind::refused;
    reply.refusal = refusal_from_code(code).value_or(Refusal::unknown);
    reply.detail = code_end == std::string_view::npos ? std::string(code)
                                                      : std::string(rest.substr(code_end + 1));
    return reply;
  }
  if (!rest.starts_with("OK")) return bad("status is neither OK nor REFUSED");
  rest.remove_prefix(2);
  reply.kind = ReplyKind::tributary_ok;
  bool have_caps = false;
  bool have_resume = false;
  while (!rest.empty()) {
    if (rest.front() != ' ') return bad("fields must be separated by spaces");
    rest.remove_prefix(1);
    const auto end = rest.find(' ');
    const std::string_view field = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
    if (field.starts_with("caps=")) {
      reply.tributary_caps = split_list(field.substr(5));
      have_caps = true;
    } else if (field.starts_with("resume=")) {
      const std::string_view digits = field.substr(7);
      const auto [ptr, ec] =
          std::from_chars(digits.data(), digits.data() + digits.size(), reply.resume_seq);
      if (ec != std::errc{} || ptr != digits.data() + digits.size()) return bad("resume");
      have_resume = true;
    }  // unknown fields are for later versions
  }
  if (!have_caps || !have_resume) return bad("caps= and resume= are required");
  return reply;
}

Result<std::optional<HandshakeReply>> parse_tributary_reply(std::string_view bytes) {
  const auto eol = bytes.find("\r\n");
  if (eol == std::string_view::npos || eol > kMaxTributaryReplyLine) {
    if (bytes.size() <= kMaxTributaryReplyLine) return std::optional<HandshakeReply>{};
    return Error(Errc::protocol_error, "Tributary handshake reply line has no end");
  }
  TRIB_ASSIGN_OR_RETURN(HandshakeReply reply, parse_tributary_line(bytes.substr(0, eol)));
  reply.consumed = eol + 2;
  return std::optional<HandshakeReply>(std::move(reply));
}

Result<std::optional<HandshakeReply>> parse_version_prompt(std::string_view bytes) {
  const std::string_view after = bytes.substr(kPromptVN.size());
  size_t digits = 0;
  while (digits < after.size() && after[digits] >= '0' && after[digits] <= '9') ++digits;
  if (digits == 0) {
    if (after.empty()) return std::optional<HandshakeReply>{};
    return Error(Errc::protocol_error, "Netdata version prompt without a number");
  }
  uint64_t version = 0;
  const auto [ptr, ec] = std::from_chars(after.data(), after.data() + digits, version);
  if (ec != std::errc{}) return Error(Errc::protocol_error, "Netdata version prompt overflows");
  HandshakeReply reply;
  reply.kind = ReplyKind::netdata_ok;
  reply.netdata_caps = netdata_caps_from_version(version);
  reply.consumed = kPromptVN.size() + digits;
  return std::optional<HandshakeReply>(std::move(reply));
}

}  // namespace

Result<std::optional<size_t>> find_handshake_end(std::string_view bytes) {
  const auto end = bytes.substr(0, kMaxHandshakeRequest).find(kRequestEnd);
  if (end != std::string_view::npos) return std::optional<size_t>(end + kRequestEnd.size());
  if (bytes.size() >= kMaxHandshakeRequest) {
    return Error(Errc::limit_exceeded, "STREAM request has no end within " +
                                           std::to_string(kMaxHandshakeRequest) + " bytes");
  }
  return std::optional<size_t>{};
}

Result<HandshakeRequest> parse_handshake_request(std::string_view bytes) {
  const auto end = bytes.find(kRequestEnd);
  if (end == std::string_view::npos) return bad_request("no \\r\\n\\r\\n at its end");
  const std::string_view head = bytes.substr(0, end);
  const auto eol = head.find("\r\n");
  const std::string_view first_line = head.substr(0, eol);
  if (!first_line.starts_with(kMethod)) return bad_request("the first line is not 'STREAM ...'");
  const auto http_marker = first_line.rfind(kHttpVersionMarker);
  if (http_marker == std::string_view::npos || http_marker < kMethod.size()) {
    return bad_request("no ' HTTP/x.y' at the end of the first line");
  }
  const std::string_view query = first_line.substr(kMethod.size(), http_marker - kMethod.size());

  HandshakeRequest request = request_with_netdata_defaults();
  TRIB_TRY(parse_query_into(query, request));
  if (request.path.size() != request.path_guids.size()) {
    return bad_request("path names " + std::to_string(request.path.size()) +
                       " proxies but path_guids " + std::to_string(request.path_guids.size()));
  }
  if (eol != std::string_view::npos) parse_headers(head.substr(eol + 2), request);
  return request;
}

HandshakeRequest make_tributary_request(std::string api_key, model::HostInfo host,
                                        std::vector<std::string> caps) {
  HandshakeRequest request;
  request.api_key = std::move(api_key);
  request.host = std::move(host);
  request.netdata_caps = netdata_cap::kSenderOffer;
  request.has_ver = true;
  request.tributary = true;
  request.tributary_version = kTributaryProtocolVersion;
  request.tributary_caps = std::move(caps);
  return request;
}

std::string build_handshake_request(const HandshakeRequest& request) {
  const model::HostInfo& host = request.host;
  std::string out(kMethod);
  bool first = true;
  auto field = [&](std::string_view name, std::string_view value) {
    if (!first) out.push_back('&');
    first = false;
    out += http::url_encode(name);
    out.push_back('=');
    out += http::url_encode(value);
  };
  field("key", request.api_key);
  field("hostname", host.hostname);
  // A relayed request may carry its own registry_hostname among the other fields.
  const bool has_registry_hostname =
      std::any_of(request.other_fields.begin(), request.other_fields.end(),
                  [](const auto& f) { return f.first == "registry_hostname"; });
  if (!has_registry_hostname) field("registry_hostname", host.hostname);
  field("machine_guid", host.machine_guid);
  field("update_every", std::to_string(host.update_every));
  field("os", host.os);
  field("timezone", host.timezone);
  field("hops", std::to_string(host.hops));
  field("ver", std::to_string(request.netdata_caps));
  for (const auto& [name, value] : request.other_fields) field(name, value);
  if (request.tributary) {
    field("tributary", std::to_string(request.tributary_version));
    field("caps", join_list(request.tributary_caps));
    if (!request.path.empty()) {
      field("path", join_list(request.path));
      field("path_guids", join_list(request.path_guids));
    }
  }
  out += " HTTP/1.1\r\nUser-Agent: tributary/";
  out += kVersion;
  out += "\r\nAccept: */*\r\n\r\n";
  return out;
}

std::string_view netdata_reply(Refusal refusal) {
  switch (refusal) {
    case Refusal::already_streaming:
      return kReplyAlreadyStreaming;
    case Refusal::localhost:
      return kReplyLocalhost;
    case Refusal::busy:
      return kReplyBusy;
    case Refusal::forbidden:
      return kReplyForbidden;
    case Refusal::bad_request:
      return kReplyBadRequest;
    case Refusal::denied:
    case Refusal::unknown:
      break;
  }
  return kReplyDenied;
}

std::string_view refusal_code(Refusal refusal) {
  switch (refusal) {
    case Refusal::denied:
      return "denied";
    case Refusal::already_streaming:
      return "already-streaming";
    case Refusal::localhost:
      return "localhost";
    case Refusal::busy:
      return "busy";
    case Refusal::forbidden:
      return "forbidden";
    case Refusal::bad_request:
      return "bad-request";
    case Refusal::unknown:
      break;
  }
  return "unknown";
}

std::chrono::seconds refusal_backoff(Refusal refusal) {
  switch (refusal) {
    case Refusal::localhost:
      return std::chrono::hours(1);
    case Refusal::already_streaming:
      return std::chrono::minutes(2);
    default:
      return std::chrono::minutes(1);
  }
}

std::string tributary_reply(Refusal refusal, std::string_view detail) {
  std::string text(detail.empty() ? netdata_reply(refusal) : detail);
  if (refusal == Refusal::bad_request && detail.empty()) text = "I don't understand you";
  std::replace_if(
      text.begin(), text.end(), [](char c) { return c == '\r' || c == '\n'; }, ' ');
  std::string out = "TRIBUTARY/" + std::to_string(kTributaryProtocolVersion) + " REFUSED ";
  out += refusal_code(refusal);
  out.push_back(' ');
  out += text;
  out += "\r\n";
  return out;
}

std::string tributary_ok_reply(const std::vector<std::string>& granted_caps, uint64_t resume_seq) {
  return "TRIBUTARY/" + std::to_string(kTributaryProtocolVersion) +
         " OK caps=" + join_list(granted_caps) + " resume=" + std::to_string(resume_seq) + "\r\n";
}

std::vector<std::string> grant_tributary_caps(const std::vector<std::string>& offered,
                                              const std::vector<std::string>& supported) {
  std::vector<std::string> granted;
  for (const auto& cap : offered) {
    const bool known = std::find(supported.begin(), supported.end(), cap) != supported.end();
    const bool seen = std::find(granted.begin(), granted.end(), cap) != granted.end();
    if (known && !seen) granted.push_back(cap);
  }
  return granted;
}

uint64_t netdata_caps_from_version(uint64_t version) {
  using namespace netdata_cap;
  constexpr uint64_t kAllKnown = kV1 | kV2 | kVN | kVCaps | kHostLabels | kClaim | kChartLabels |
                                 kCompression | kFunctions | kReplication | kBinary;
  uint64_t caps = 0;
  if (version <= 1) {
    caps = kV1;
  } else if (version == 2) {
    caps = kV2 | kHostLabels;
  } else if (version == 3) {
    caps = kVN | kHostLabels | kClaim;
  } else if (version == 4) {
    caps = kVN | kHostLabels | kClaim | kChartLabels;
  } else if (version == 5) {
    caps = kVN | kHostLabels | kClaim | kChartLabels | kCompression;
  } else {
    caps = version & kAllKnown;
  }
  if (caps & kVCaps) caps &= ~(kV1 | kV2 | kVN);
  return caps;
}

uint64_t netdata_reply_caps(uint64_t child_ver, bool has_ver) {
  using namespace netdata_cap;
  const uint64_t offered = netdata_caps_from_version(has_ver ? child_ver : 0);
  if (offered & kVCaps) return offered & kGrantable;
  // Legacy children get the prompt the stock parent would pick, with compression refused.
  if (offered & kVN) return netdata_caps_from_version((offered & kChartLabels) ? 4 : 3);
  if (offered & kV2) return kV2 | kHostLabels;
  return kV1;
}

std::string netdata_ok_reply(uint64_t reply_caps) {
  using namespace netdata_cap;
  if (reply_caps & kVCaps) return std::string(kPromptVN) + std::to_string(reply_caps);
  if (reply_caps & kVN) {
    const int version = (reply_caps & kCompression) ? 5 : (reply_caps & kChartLabels) ? 4 : 3;
    return std::string(kPromptVN) + std::to_string(version);
  }
  if (reply_caps & kV2) return std::string(kPromptV2);
  return std::string(kPromptV1);
}

Result<std::optional<HandshakeReply>> parse_handshake_reply(std::string_view bytes) {
  if (bytes.starts_with(kTributaryPrefix)) return parse_tributary_reply(bytes);
  if (bytes.starts_with(kPromptVN)) return parse_version_prompt(bytes);

  struct Fixed {
    std::string_view text;
    ReplyKind kind;
    uint64_t caps;
    Refusal refusal;
  };
  const std::array fixed = {
      Fixed{kPromptV1, ReplyKind::netdata_ok, netdata_cap::kV1, Refusal::unknown},
      Fixed{kPromptV2, ReplyKind::netdata_ok, netdata_caps_from_version(2), Refusal::unknown},
      Fixed{kReplyDenied, ReplyKind::refused, 0, Refusal::denied},
      Fixed{kReplyAlreadyStreaming, ReplyKind::refused, 0, Refusal::already_streaming},
      Fixed{kReplyLocalhost, ReplyKind::refused, 0, Refusal::localhost},
      Fixed{kReplyBusy, ReplyKind::refused, 0, Refusal::busy},
      Fixed{kReplyForbidden, ReplyKind::refused, 0, Refusal::forbidden},
  };
  for (const Fixed& f : fixed) {
    if (!bytes.starts_with(f.text)) continue;
    HandshakeReply reply;
    reply.kind = f.kind;
    reply.netdata_caps = f.caps;
    reply.refusal = f.refusal;
    if (f.kind == ReplyKind::refused) reply.detail = std::string(f.text);
    reply.consumed = f.text.size();
    return std::optional<HandshakeReply>(std::move(reply));
  }
  // A prefix of a known reply: wait for the rest.
  const bool partial = kTributaryPrefix.starts_with(bytes) || kPromptVN.starts_with(bytes) ||
                       std::any_of(fixed.begin(), fixed.end(),
                                   [&](const Fixed& f) { return f.text.starts_with(bytes); });
  if (partial) return std::optional<HandshakeReply>{};
  return Error(Errc::protocol_error,
               "unrecognised handshake reply '" + http::url_encode(bytes.substr(0, 80)) + "'");
}

}  // namespace trib::stream
