#pragma once
// The stream handshake: the `STREAM ...` request line every child sends (stock Netdata 1.37 or
// Tributary), and every reply a parent can give (Netdata's raw strings, or a Tributary line that
// grants capabilities). Pure functions over bytes: the sessions own the sockets and timeouts.
// docs/protocol.md §2 is the specification; shared/specs/netdata-stream-1.37.md §2-§3 the
// Netdata side.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/base/result.h"
#include "common/model/metrics.h"

namespace trib::stream {

// Netdata 1.37 capability bits (the `ver=` bitmap and the `version=N` prompt).
namespace netdata_cap {
inline constexpr uint64_t kV1 = 8;
inline constexpr uint64_t kV2 = 16;
inline constexpr uint64_t kVN = 32;
inline constexpr uint64_t kVCaps = 64;
inline constexpr uint64_t kHostLabels = 128;
inline constexpr uint64_t kClaim = 256;
inline constexpr uint64_t kChartLabels = 512;
inline constexpr uint64_t kCompression = 1024;
inline constexpr uint64_t kFunctions = 2048;
inline constexpr uint64_t kReplication = 4096;
inline constexpr uint64_t kBinary = 8192;
// What a Tributary parent grants a stock child: no compression, replication or functions.
inline constexpr uint64_t kGrantable = kVCaps | kHostLabels | kClaim | kChartLabels | kBinary;
// What a Tributary sender offers a stock parent in `ver=` (answer: `...version=960`).
inline constexpr uint64_t kSenderOffer = kVCaps | kHostLabels | kClaim | kChartLabels;
}  // namespace netdata_cap

// Tributary capability names offered in `caps=` and granted in the OK reply.
namespace tributary_cap {
inline constexpr std::string_view kZstd = "zstd";  // zstd-compressed frames (flag bit 0)
inline constexpr std::string_view kAck = "ack";    // receiver sends Ack and HostResume frames
inline constexpr std::string_view kLogs = "logs";  // receiver takes Logs and Gaps frames
}  // namespace tributary_cap

// The native protocol version this code speaks (`tributary=1`, `TRIBUTARY/1`).
inline constexpr uint32_t kTributaryProtocolVersion = 1;
// A request longer than this without its `\r\n\r\n` is refused (Netdata checklist §9.1).
inline constexpr size_t kMaxHandshakeRequest = 16 * 1024;

struct HandshakeRequest {
  std::string api_key;
  // machine_guid, hostname, os, timezone, update_every, hops from the query; program name and
  // version from the User-Agent. Labels are not part of the handshake.
  model::HostInfo host;
  uint64_t netdata_caps = 0;  // the `ver=` value, 0 if absent
  bool has_ver = false;
  bool tributary = false;  // a `tributary=<version>` field was present
  uint32_t tributary_version = 0;
  std::vector<std::string> tributary_caps;  // `caps=` split on ','
  // The proxies the stream passed through, nearest to the receiver first (`path=` hostnames,
  // `path_guids=` machine GUIDs, both comma-separated and of equal length; a Tributary extension
  // a stock parent ignores). Empty for a host streaming its own data.
  std::vector<std::string> path;
  std::vector<std::string> path_guids;
  // Every other non-empty field in request order (registry_hostname, NETDATA_*, ...).
  std::vector<std::pair<std::string, std::string>> other_fields;
  std::string user_agent;
};

// Where the request ends: the offset just past the first `\r\n\r\n`, nullopt while more bytes
// are needed, limit_exceeded once kMaxHandshakeRequest bytes hold no end.
Result<std::optional<size_t>> find_handshake_end(std::string_view bytes);

// Parses the request, `bytes` being everything up to and including the `\r\n\r\n`. Follows
// Netdata's rules: the first line starts with `STREAM `, the trailing ` HTTP/x.y` is stripped
// (searched from the right, so values may hold raw spaces), fields split on `&` and the first
// `=`, decoded with `+` as space, empty values skipped, the last of a repeated field wins.
// Missing key, hostname or machine_guid are left empty: admission refuses them.
// parse_error (reply Refusal::bad_request) for a malformed request.
Result<HandshakeRequest> parse_handshake_request(std::string_view bytes);

// A request for a Tributary sender: `ver=` set to netdata_cap::kSenderOffer so a stock Netdata
// parent sees a normal child, `tributary=1` and `caps`.
HandshakeRequest make_tributary_request(std::string api_key, model::HostInfo host,
                                        std::vector<std::string> caps);

// The request bytes, every value URL-encoded, `User-Agent: tributary/<kVersion>`, ending with
// `\r\n\r\n`. Writes `tributary=`/`caps=` only when `request.tributary` is set.
std::string build_handshake_request(const HandshakeRequest& request);

// Why a parent refused a connection. Each has Netdata's reply text, a Tributary reason code and
// the back-off a sender applies before trying that destination again.
enum class Refusal {
  denied,             // key/GUID/IP rules, missing fields
  already_streaming,  // a live connection for this GUID exists
  localhost,          // the child's GUID is the parent's own
  busy,               // accept rate limit
  forbidden,          // web ACL (`allow streaming from`, port ACL)
  bad_request,        // a malformed request
  unknown,            // a Tributary reason code this version does not know
};

// Netdata's exact reply bytes (no newline). bad_request gets an HTTP 400 response, as Netdata.
std::string_view netdata_reply(Refusal refusal);
// "denied", "already-streaming", "localhost", "busy", "forbidden", "bad-request", "unknown".
std::string_view refusal_code(Refusal refusal);
// How long a sender waits before retrying the destination that refused it (Netdata child rules:
// 1 h localhost, 2 min already-streaming, 1 min otherwise).
std::chrono::seconds refusal_backoff(Refusal refusal);

// `TRIBUTARY/1 REFUSED <code> <detail>\r\n`; an empty detail uses Netdata's text. CR and LF in
// the detail become spaces.
std::string tributary_reply(Refusal refusal, std::string_view detail);
// `TRIBUTARY/1 OK caps=<a,b> resume=<seq>\r\n`.
std::string tributary_ok_reply(const std::vector<std::string>& granted_caps, uint64_t resume_seq);
// The offered capabilities this side also supports, in the offered order, without duplicates.
std::vector<std::string> grant_tributary_caps(const std::vector<std::string>& offered,
                                              const std::vector<std::string>& supported);

// The capabilities a Tributary parent grants a stock child (§3.4 of the Netdata spec): legacy
// versions answered with the legacy prompts (5 downgraded to 4), a VCAPS bitmap masked with
// netdata_cap::kGrantable. The result is the child's working set and selects the prompt text.
uint64_t netdata_reply_caps(uint64_t child_ver, bool has_ver);
// The success prompt for `reply_caps` (Netdata's rule: VCAPS → `...version=<caps>`, VN →
// `...version=3|4|5`, V2 → the host-labels prompt, else the V1 prompt).
std::string netdata_ok_reply(uint64_t reply_caps);
// How a child turns the prompt's N into working capabilities (sender.c).
uint64_t netdata_caps_from_version(uint64_t version);

enum class ReplyKind { netdata_ok, tributary_ok, refused };

struct HandshakeReply {
  ReplyKind kind = ReplyKind::refused;
  uint64_t netdata_caps = 0;                // netdata_ok: the working capability set
  uint32_t tributary_version = 0;           // tributary_ok and Tributary refusals
  std::vector<std::string> tributary_caps;  // tributary_ok: granted
  uint64_t resume_seq = 0;                  // tributary_ok: last stored seq of the handshake host
  Refusal refusal = Refusal::unknown;       // refused
  std::string detail;                       // refused: the human text
  // Bytes of the reply; whatever follows belongs to the stream (a stock parent may already
  // have sent `REPLAY_CHART` right after `version=N`).
  size_t consumed = 0;
};

// Recognises every reply: Netdata's prompts and refusals, and the Tributary lines. nullopt
// means more bytes are needed (a prefix of a known reply, a TRIBUTARY/1 line without its
// `\r\n`). protocol_error for anything else, including an HTTP error page.
Result<std::optional<HandshakeReply>> parse_handshake_reply(std::string_view bytes);

}  // namespace trib::stream
