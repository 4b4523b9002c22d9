// libFuzzer target: Netdata simple patterns (from stream.conf) matched against a subject.
// Input: pattern, a NUL byte, subject.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/config/simple_pattern.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t nul = input.find('\0');
  const std::string_view pattern = input.substr(0, nul);
  const std::string_view subject =
      nul == std::string_view::npos ? std::string_view{} : input.substr(nul + 1);
  const trib::config::SimplePattern p(pattern);
  (void)p.evaluate(subject);
  (void)p.allows(subject);
  return 0;
}
