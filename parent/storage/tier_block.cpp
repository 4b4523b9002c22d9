#include "parent/storage/tier_block.h"

#include <bit>
#include <cmath>

#include "common/stream/wire.h"
#include "parent/storage/block_codec.h"

namespace trib::parent::storage {
namespace {

Error corrupt(const std::string& what) { return Error(Errc::parse_error, "tier block: " + what); }

std::string part(std::span<const TierPoint> points, double TierPoint::*field, bool try_zstd) {
  BlockEncoder encoder;
  for (const TierPoint& p : points) encoder.append(p.start_s, p.*field);
  return encoder.serialize(try_zstd);
}

}  // namespace

void TierPoint::merge(const TierPoint& other) {
  if (other.count == 0) return;
  if (count == 0) {
    *this = other;
    return;
  }
  min = other.min < min ? other.min : min;
  max = other.max > max ? other.max : max;
  sum += other.sum;
  count += other.count;
}

std::string encode_tier_block(std::span<const TierPoint> points, bool try_zstd) {
  std::string out;
  stream::wire::put_u8(out, kTierBlockVersion);
  for (double TierPoint::*field : {&TierPoint::min, &TierPoint::max, &TierPoint::sum}) {
    const std::string bytes = part(points, field, try_zstd);
    stream::wire::put_varint(out, bytes.size());
    out += bytes;
  }
  BlockEncoder counts;
  for (const TierPoint& p : points) counts.append(p.start_s, static_cast<double>(p.count));
  out += counts.serialize(try_zstd);
  return out;
}

std::string encode_open_tier_block(const TierPoint& point) {
  std::string out;
  stream::wire::put_u8(out, kOpenTierBlockVersion);
  append_open_tier_point(out, point);
  return out;
}

void append_open_tier_point(std::string& block, const TierPoint& point) {
  const auto start = static_cast<uint64_t>(point.start_s);
  stream::wire::put_u32_le(block, static_cast<uint32_t>(start));
  stream::wire::put_u32_le(block, static_cast<uint32_t>(start >> 32));
  stream::wire::put_u32_le(block, std::bit_cast<uint32_t>(static_cast<float>(point.min)));
  stream::wire::put_u32_le(block, std::bit_cast<uint32_t>(static_cast<float>(point.max)));
  const auto sum = std::bit_cast<uint64_t>(point.sum);
  stream::wire::put_u32_le(block, static_cast<uint32_t>(sum));
  stream::wire::put_u32_le(block, static_cast<uint32_t>(sum >> 32));
  stream::wire::put_u32_le(block, point.count);
}

bool is_open_tier_block(std::string_view bytes) {
  return !bytes.empty() && static_cast<uint8_t>(bytes[0]) == kOpenTierBlockVersion;
}

namespace {

uint64_t u64_at(const char* p) {
  return stream::wire::get_u32_le(p) |
         (static_cast<uint64_t>(stream::wire::get_u32_le(p + 4)) << 32);
}

Result<std::vector<TierPoint>> decode_open_tier_block(std::string_view bytes) {
  const size_t body = bytes.size() - 1;
  if (body % kOpenTierPointBytes != 0) return corrupt("an open block with a partial point");
  const size_t n = body / kOpenTierPointBytes;
  if (n == 0 || n > kTierBlockPoints) {
    return corrupt("an open block of " + std::to_string(n) + " points");
  }
  std::vector<TierPoint> points(n);
  for (size_t i = 0; i < n; ++i) {
    const char* p = bytes.data() + 1 + i * kOpenTierPointBytes;
    TierPoint& point = points[i];
    point.start_s = static_cast<int64_t>(u64_at(p));
    point.min = static_cast<double>(std::bit_cast<float>(stream::wire::get_u32_le(p + 8)));
    point.max = static_cast<double>(std::bit_cast<float>(stream::wire::get_u32_le(p + 12)));
    point.sum = std::bit_cast<double>(u64_at(p + 16));
    point.count = stream::wire::get_u32_le(p + 24);
    if (point.count < 1 || point.count > kMaxTierCount) {
      return corrupt("a count outside [1, 2^24]");
    }
    if (point.start_s < -kMaxTierStart || point.start_s > kMaxTierStart) {
      return corrupt("a start out of range");
    }
    if (i > 0 && (point.start_s <= points[i - 1].start_s ||
                  point.start_s - points[i - 1].start_s > kMaxTierStep)) {
      return corrupt("starts that do not increase by 1 s to 2^31 s");
    }
  }
  return points;
}

}  // namespace

Result<std::vector<TierPoint>> decode_tier_block(std::string_view bytes) {
  if (is_open_tier_block(bytes)) return decode_open_tier_block(bytes);
  if (bytes.empty() || static_cast<uint8_t>(bytes[0]) != kTierBlockVersion) {
    return corrupt("unknown version");
  }
  std::string_view rest = bytes.substr(1);
  DecodedBlock parts[4];
  for (int i = 0; i < 3; ++i) {
    stream::wire::Reader reader(rest, 0);
    const uint64_t size = reader.varint("part size");
    if (!reader.ok() || size > reader.remaining()) return corrupt("truncated part");
    const size_t header = rest.size() - reader.remaining();
    TRIB_ASSIGN_OR_RETURN(parts[i], decode_block(rest.substr(header, size)));
    rest.remove_prefix(header + size);
  }
  TRIB_ASSIGN_OR_RETURN(parts[3], decode_block(rest));
  const size_t n = parts[0].timestamps.size();
  if (n > kTierBlockPoints) {
    return corrupt("more than " + std::to_string(kTierBlockPoints) + " points");
  }
  for (const DecodedBlock& p : parts) {
    if (p.timestamps != parts[0].timestamps) return corrupt("parts with different timestamps");
  }
  std::vector<TierPoint> points(n);
  for (size_t i = 0; i < n; ++i) {
    const double count = parts[3].values[i];
    if (!(count >= 1 && count <= kMaxTierCount) || count != std::floor(count)) {
      return corrupt("a count that is not a whole number in [1, 2^24]");
    }
    points[i] = TierPoint{parts[0].timestamps[i], parts[0].values[i], parts[1].values[i],
                          parts[2].values[i], static_cast<uint32_t>(count)};
  }
  return points;
}

}  // namespace trib::parent::storage
