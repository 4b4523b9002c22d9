// Feeds arbitrary bytes to the native frame decoder (compression allowed, small limits so the
// fuzzer reaches them), in chunks whose sizes come from the input. Every decoded message must
// survive a re-encode and decode unchanged.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/stream/frame.h"

namespace {

void check_round_trip(const trib::stream::Message& message, bool compress) {
  trib::stream::FrameEncoder encoder({.compress = compress});
  trib::stream::FrameDecoder decoder({}, true);
  decoder.feed(encoder.encode(message));
  auto again = decoder.next();
  if (!again.ok() || !again->has_value() || !(**again == message)) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const size_t chunk = 1 + data[0] % 64;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);

  trib::stream::FrameLimits limits;
  limits.max_frame_payload = 64 * 1024;
  limits.max_decompressed = 256 * 1024;
  limits.max_string = 1024;
  limits.max_rows = 1024;
  limits.max_values_per_row = 256;
  trib::stream::FrameDecoder decoder(limits, true);
  bool failed = false;
  while (!input.empty() && !failed) {
    const size_t n = std::min(chunk, input.size());
    decoder.feed(input.substr(0, n));
    input.remove_prefix(n);
    while (true) {
      auto next = decoder.next();
      if (!next.ok()) {
        failed = true;
        break;
      }
      if (!next->has_value()) break;
      check_round_trip(**next, (data[0] & 0x80) != 0);
    }
  }
  return 0;
}
