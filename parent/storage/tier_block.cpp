#include "parent/storage/tier_block.h"

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

Result<std::vector<TierPoint>> decode_tier_block(std::string_view bytes) {
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
