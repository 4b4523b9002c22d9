// libFuzzer target: the health silencers file (<data dir>/health/health.silencers.json, which an
// operator may edit). Input: the file's text.
// Checks: parsing never crashes; what parses prints in Netdata's shape and parses back equal.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "parent/health/silencers.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = trib::parent::health::silencers_from_json(text);
  if (!parsed.ok()) return 0;
  auto again = trib::parent::health::silencers_from_json(
      trib::parent::health::silencers_to_json(*parsed).dump());
  if (!again.ok() || !(*again == *parsed)) std::abort();
  return 0;
}
