// Arbitrary bytes as the answer to a fetch, through the client's ResponseParser. The first byte
// picks the read size and whether the request was a HEAD; whatever the split, the verdict and
// the response must match those of one read.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/http/client.h"

namespace {

struct Outcome {
  int state = 0;  // 0 incomplete, 1 complete, 2 error
  std::string flat;
};

Outcome run(std::string_view input, size_t piece, bool head) {
  trib::http::ResponseParser parser(head, 4096);
  Outcome out;
  size_t offset = 0;
  trib::Result<bool> step = false;
  while (offset < input.size()) {
    const size_t n = std::min(piece, input.size() - offset);
    step = parser.parse(input.substr(offset, n));
    offset += n;
    if (!step.ok() || *step) break;
  }
  if (step.ok() && !*step) step = parser.finish();
  if (!step.ok()) {
    out.state = 2;
    return out;
  }
  if (!*step) return out;
  out.state = 1;
  const auto response = parser.take_response();
  if (response.body.size() > 4096) __builtin_trap();
  out.flat = std::to_string(response.status) + '\n' + response.body;
  for (const auto& [name, value] : response.headers) out.flat += '\n' + name + ':' + value;
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t piece = 1 + data[0] % 16;
  const bool head = (data[0] & 0x80) != 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const auto whole = run(input, input.size() + 1, head);
  const auto split = run(input, piece, head);
  if (whole.state != split.state || whole.flat != split.flat) __builtin_trap();
  return 0;
}
