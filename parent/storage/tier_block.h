#pragma once
// A block of downsampled points of one dimension in one tier (docs/storage.md, "Tiers"): per
// interval of `every` seconds that holds samples, their min, max, sum and count. The encoding
// is four sample blocks of the tier-0 codec (block_codec.h) over the same timestamps (the
// intervals' starts), so a regular tier costs one bit per point for its timestamps:
//
//   u8 version (1) | varint n | n bytes: min block | varint n | max block | varint n | sum block
//   | count block (the rest)
//
// Values are float32 like tier 0 (a count is exact up to 2^24).
//
// A block still filling is stored in an append-friendly form instead, so that adding a point
// does not decode and re-encode the block: version 2, then per point 28 bytes `i64 start | f32
// min | f32 max | f64 sum | u32 count` (little-endian). It becomes version 1 when it holds
// kTierBlockPoints points. Pure code, any thread.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/base/result.h"

namespace trib::parent::storage {

inline constexpr uint8_t kTierBlockVersion = 1;
inline constexpr uint8_t kOpenTierBlockVersion = 2;
inline constexpr size_t kOpenTierPointBytes = 28;
// Starts within +-2^40 s, one block's steps below 2^31 s: what the compressed form encodes.
inline constexpr int64_t kMaxTierStart = int64_t{1} << 40;
inline constexpr int64_t kMaxTierStep = (int64_t{1} << 31) - 1;
// A tier block holds at most this many points; a point is appended by rewriting the block.
inline constexpr size_t kTierBlockPoints = 128;
// Counts above this are not exact in float32 (a tier of 1 week at 0.05 s per sample is not).
inline constexpr uint32_t kMaxTierCount = 1u << 24;

struct TierPoint {
  int64_t start_s = 0;  // the interval's start, a multiple of the tier's `every`
  double min = 0;
  double max = 0;
  double sum = 0;
  uint32_t count = 0;  // samples in the interval, >= 1

  void add(double value) {
    if (count == 0) {
      min = max = sum = value;
    } else {
      min = value < min ? value : min;
      max = value > max ? value : max;
      sum += value;
    }
    ++count;
  }
  void merge(const TierPoint& other);
};

// `points` have strictly increasing starts, at most kTierBlockPoints of them, counts >= 1.
// zstd wraps each part only when `try_zstd` and that is smaller (a full block).
std::string encode_tier_block(std::span<const TierPoint> points, bool try_zstd);

// The open (version 2) form: a block of `point`, and `point` appended to such a block.
std::string encode_open_tier_block(const TierPoint& point);
void append_open_tier_point(std::string& block, const TierPoint& point);
bool is_open_tier_block(std::string_view bytes);

// Either version. Bad input (a part that does not decode, parts of different lengths or timestamps,
// counts that are not whole numbers in [1, kMaxTierCount], more than kTierBlockPoints points) is
// Errc::parse_error; never a crash.
Result<std::vector<TierPoint>> decode_tier_block(std::string_view bytes);

}  // namespace trib::parent::storage
