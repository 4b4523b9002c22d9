// Feeds arbitrary bytes to the dbengine tier block decoder. Whatever decodes must have strictly
// increasing interval starts, counts >= 1, and survive a re-encode (with and without zstd).
#include <bit>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "parent/storage/tier_block.h"

namespace {

uint32_t bits_of(double value) { return std::bit_cast<uint32_t>(static_cast<float>(value)); }

bool same(const trib::parent::storage::TierPoint& a, const trib::parent::storage::TierPoint& b) {
  auto same_value = [](double x, double y) {
    return (x != x && y != y) || bits_of(x) == bits_of(y);
  };
  return a.start_s == b.start_s && a.count == b.count && same_value(a.min, b.min) &&
         same_value(a.max, b.max) && same_value(a.sum, b.sum);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trib::parent::storage;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto points = decode_tier_block(input);
  if (!points.ok()) return 0;
  for (size_t i = 0; i < points->size(); ++i) {
    if ((*points)[i].count == 0) __builtin_trap();
    if (i > 0 && (*points)[i].start_s <= (*points)[i - 1].start_s) __builtin_trap();
  }
  for (const bool zstd : {false, true}) {
    auto again = decode_tier_block(encode_tier_block(*points, zstd));
    if (!again.ok() || again->size() != points->size()) __builtin_trap();
    for (size_t i = 0; i < points->size(); ++i) {
      if (!same((*again)[i], (*points)[i])) __builtin_trap();
    }
  }
  return 0;
}
