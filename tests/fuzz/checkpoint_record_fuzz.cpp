// Fuzzes the decoding of checkpoint records: the store is a file on disk that a crash, a full
// disk or a person may have damaged. A record that decodes must encode back to itself.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "agent/logs/checkpoint_store.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trib::agent::logs;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const size_t split = size > 0 ? data[0] % (size + 1) : 0;
  const auto decoded = decode_checkpoint(bytes.substr(0, split), bytes.substr(split));
  if (decoded.ok()) {
    const auto again = decode_checkpoint(checkpoint_key(decoded->source, decoded->generation),
                                         encode_checkpoint(*decoded));
    if (!again.ok() || !(*again == *decoded)) std::abort();
  }
  return 0;
}
