// libFuzzer target: stream.conf text (untrusted: may come from a remote config source).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/config/stream_conf.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto conf = trib::config::parse_stream_conf(text, "fuzz.conf");
  if (conf.ok()) {
    (void)conf->api_key("11111111-2222-3333-4444-555555555555");
    (void)conf->machine("11111111-2222-3333-4444-555555555555");
  }
  (void)trib::config::parse_destinations(text, 19999);
  return 0;
}
