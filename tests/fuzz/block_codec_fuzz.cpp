// Feeds arbitrary bytes to the dbengine sample block decoder. Whatever decodes must have
// strictly increasing timestamps and survive a re-encode (with and without zstd) unchanged.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "parent/storage/block_codec.h"

namespace {

uint32_t bits_of(double value) { return std::bit_cast<uint32_t>(static_cast<float>(value)); }

void check_round_trip(const trib::parent::storage::DecodedBlock& block, bool zstd) {
  trib::parent::storage::BlockEncoder encoder;
  for (size_t i = 0; i < block.timestamps.size(); ++i) {
    encoder.append(block.timestamps[i], block.values[i]);
  }
  auto again = trib::parent::storage::decode_block(encoder.serialize(zstd));
  if (!again.ok() || again->timestamps != block.timestamps) __builtin_trap();
  for (size_t i = 0; i < block.values.size(); ++i) {
    // NaNs are canonicalized by the encoder; every other bit pattern must come back.
    const bool nan = block.values[i] != block.values[i];
    if (nan != (again->values[i] != again->values[i])) __builtin_trap();
    if (!nan && bits_of(again->values[i]) != bits_of(block.values[i])) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto block = trib::parent::storage::decode_block(input);
  if (!block.ok()) return 0;
  for (size_t i = 1; i < block->timestamps.size(); ++i) {
    if (block->timestamps[i] <= block->timestamps[i - 1]) __builtin_trap();
  }
  check_round_trip(*block, false);
  check_round_trip(*block, true);
  return 0;
}
