// Arbitrary bytes as the stream of one HTTP connection, through the same RequestParser the
// server uses. The first byte picks how the bytes are split into reads; whatever the split,
// the requests (and the final verdict) must be the same as when everything arrives at once.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/http/request_parser.h"

namespace {

struct Outcome {
  std::vector<std::string> requests;  // method, target, headers and body flattened
  int error_status = 0;
};

std::string flatten(const trib::http::HttpRequest& r) {
  std::string out = r.method + ' ' + r.target + ' ' + r.path + (r.keep_alive ? " ka" : " close");
  for (const auto& [name, value] : r.headers) out += '\n' + name + ':' + value;
  for (const auto& [name, value] : r.query) out += '\n' + name + '=' + value;
  return out + "\n\n" + r.body;
}

// Parses `input` arriving `piece` bytes at a time, as the server's session does.
Outcome run(std::string_view input, size_t piece) {
  trib::http::HttpLimits limits;
  limits.max_head_bytes = 1024;
  limits.max_body_bytes = 4096;
  trib::http::RequestParser parser(limits);
  Outcome out;
  std::string buffer;
  size_t offset = 0;
  while (offset < input.size()) {
    const size_t n = std::min(piece, input.size() - offset);
    buffer.append(input.substr(offset, n));
    offset += n;
    for (;;) {
      const auto step = parser.parse(buffer);
      if (step.consumed > buffer.size()) __builtin_trap();
      buffer.erase(0, step.consumed);
      if (step.kind == trib::http::RequestParser::Step::Kind::error) {
        if (step.status < 400 || step.status > 505) __builtin_trap();
        out.error_status = step.status;
        return out;
      }
      if (step.kind == trib::http::RequestParser::Step::Kind::need_more) {
        if (!buffer.empty()) __builtin_trap();  // need_more means every byte was taken
        break;
      }
      const auto request = parser.take_request();
      out.requests.push_back(flatten(request));
      if (!request.keep_alive) return out;  // the server stops reading here
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t piece = 1 + data[0] % 16;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const auto whole = run(input, input.size() + 1);
  const auto split = run(input, piece);
  if (whole.requests != split.requests || whole.error_status != split.error_status) {
    __builtin_trap();
  }
  return 0;
}
