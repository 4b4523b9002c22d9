// Arbitrary bytes as a STREAM request and as a handshake reply. A request that parses must
// survive build_handshake_request and parse again with the same identity and fields.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/stream/handshake.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  (void)trib::stream::parse_handshake_reply(input);

  auto end = trib::stream::find_handshake_end(input);
  if (!end.ok() || !end->has_value()) return 0;
  auto request = trib::stream::parse_handshake_request(input.substr(0, **end));
  if (!request.ok()) return 0;

  auto again = trib::stream::parse_handshake_request(build_handshake_request(*request));
  if (!again.ok()) __builtin_trap();
  // The builder adds registry_hostname (= hostname) when the request had none.
  auto is_registry = [](const auto& f) { return f.first == "registry_hostname"; };
  if (std::none_of(request->other_fields.begin(), request->other_fields.end(), is_registry)) {
    std::erase_if(again->other_fields, is_registry);
  }
  if (again->api_key != request->api_key || again->host.hostname != request->host.hostname ||
      again->host.machine_guid != request->host.machine_guid ||
      again->host.timezone != request->host.timezone ||
      again->other_fields != request->other_fields ||
      (request->tributary && again->tributary_caps != request->tributary_caps)) {
    __builtin_trap();
  }
  return 0;
}
