// Arbitrary bytes as a heartbeat body: parse_heartbeat either refuses them with a reason or
// returns a heartbeat with a non-empty id; the stored JSON members must parse again.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "parent/fleet/heartbeat.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  auto heartbeat = trib::parent::fleet::parse_heartbeat(body);
  if (!heartbeat.ok()) {
    if (heartbeat.error().message.empty()) __builtin_trap();
    return 0;
  }
  if (heartbeat->id.empty()) __builtin_trap();
  for (const auto& member : {heartbeat->statistics, heartbeat->configurations, heartbeat->logs}) {
    if (member && nlohmann::json::parse(*member, nullptr, false).is_discarded()) __builtin_trap();
  }
  (void)trib::parent::fleet::agent_status(heartbeat->reported_status);
  return 0;
}
