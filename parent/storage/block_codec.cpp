#include "parent/storage/block_codec.h"

#include <bit>
#include <cassert>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

#include "common/stream/wire.h"
#include "common/stream/zstd_codec.h"
#include "parent/storage/sealed_block.h"

namespace trib::parent::storage {
namespace {

constexpr unsigned kNoWindow = 0xff;

uint32_t float_bits(double value) {
  float f = static_cast<float>(value);
  if (std::isnan(f)) f = std::numeric_limits<float>::quiet_NaN();  // one NaN: XORs stay small
  return std::bit_cast<uint32_t>(f);
}

uint64_t zigzag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
int64_t unzigzag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

Error corrupt(const std::string& what) { return Error(Errc::parse_error, "sample block: " + what); }

class BitReader {
 public:
  explicit BitReader(std::string_view bytes) : bytes_(bytes), size_bits_(bytes.size() * 8) {}

  // Reads `nbits` (<= 64), MSB first. Past the end sets the failure flag and returns 0.
  uint64_t bits(unsigned nbits) {
    if (nbits > 56) {  // a window holds 57 bits past any bit offset: split the rare long read
      const uint64_t high = bits(nbits - 32);
      return (high << 32) | bits(32);
    }
    if (failed_ || size_bits_ - pos_ < nbits) {
      failed_ = true;
      return 0;
    }
    if (nbits == 0) return 0;
    const uint64_t value = (window(pos_ / 8) << (pos_ % 8)) >> (64 - nbits);
    pos_ += nbits;
    return value;
  }
  bool bit() { return bits(1) != 0; }
  bool failed() const { return failed_; }
  // Whole bytes not yet touched (a partly read last byte counts as used).
  size_t unread_bytes() const { return bytes_.size() - (pos_ + 7) / 8; }

 private:
  // The 8 bytes from `byte` on as a big-endian word, zeros past the end: one load per read
  // instead of one step per byte (queries and sealing decode every sample).
  uint64_t window(size_t byte) const {
    uint64_t word = 0;
    if (bytes_.size() - byte >= 8) {
      std::memcpy(&word, bytes_.data() + byte, 8);
      return std::endian::native == std::endian::little ? __builtin_bswap64(word) : word;
    }
    const size_t n = bytes_.size() - byte < 8 ? bytes_.size() - byte : 8;
    for (size_t i = 0; i < n; ++i) {
      word |= uint64_t{static_cast<uint8_t>(bytes_[byte + i])} << (56 - 8 * i);
    }
    return word;
  }

  std::string_view bytes_;
  size_t size_bits_;
  size_t pos_ = 0;  // in bits
  bool failed_ = false;
};

// The samples of a version 1 bit stream (`plain`: the first timestamp and the bits), each
// passed to push(timestamp, float bit pattern) in order.
template <class Push>
Status decode_bitstream(std::string_view plain, uint64_t count, Push&& push) {
  stream::wire::Reader first(plain, 0);
  const int64_t first_s = first.zigzag("first timestamp");
  if (!first.ok()) return corrupt(first.error()->message);

  BitReader in(plain.substr(plain.size() - first.remaining()));
  int64_t t = first_s;
  int64_t delta = 0;
  uint32_t v = static_cast<uint32_t>(in.bits(32));
  unsigned window_leading = kNoWindow;
  unsigned window_trailing = 0;
  push(t, v);
  for (uint64_t i = 1; i < count && !in.failed(); ++i) {
    if (i == 1) {
      delta = static_cast<int64_t>(in.bits(32));
    } else if (in.bit()) {
      unsigned width = 7;
      if (in.bit()) {
        width = 9;
        if (in.bit()) width = in.bit() ? 64 : 12;
      }
      if (__builtin_add_overflow(delta, unzigzag(in.bits(width)), &delta)) {
        return corrupt("timestamp delta out of range");
      }
    }
    if (delta <= 0) return corrupt("timestamps do not increase");
    if (__builtin_add_overflow(t, delta, &t)) return corrupt("timestamp out of range");
    if (in.bit()) {
      if (in.bit()) {
        window_leading = static_cast<unsigned>(in.bits(5));
        const unsigned length = static_cast<unsigned>(in.bits(5)) + 1;
        if (window_leading + length > 32) return corrupt("bad XOR window");
        window_trailing = 32 - window_leading - length;
      } else if (window_leading == kNoWindow) {
        return corrupt("XOR window reused before one was set");
      }
      const unsigned length = 32 - window_leading - window_trailing;
      v ^= static_cast<uint32_t>(in.bits(length) << window_trailing);
    }
    push(t, v);
  }
  if (in.failed()) return corrupt("truncated bit stream");
  if (in.unread_bytes() != 0) return corrupt("trailing bytes after the last sample");
  return ok_status();
}

Status decode_bitstream(std::string_view plain, uint64_t count, DecodedBlock& block) {
  return decode_bitstream(plain, count, [&](int64_t t, uint32_t v) {
    block.timestamps.push_back(t);
    block.values.push_back(static_cast<double>(std::bit_cast<float>(v)));
  });
}

}  // namespace

void BlockEncoder::append(int64_t timestamp_s, double value) {
  const uint32_t v = float_bits(value);
  if (count_ == 0) {
    first_s_ = timestamp_s;
    put_bits(v, 32);
  } else {
    const int64_t delta = timestamp_s - last_s_;
    if (count_ == 1) {
      put_bits(static_cast<uint64_t>(delta), 32);
    } else {
      const int64_t dod = delta - last_delta_;
      const uint64_t z = zigzag(dod);
      // Each code and its bits in one put_bits() call.
      if (dod == 0) {
        put_bits(0b0, 1);
      } else if (z < (1u << 7)) {
        put_bits((0b10u << 7) | z, 2 + 7);
      } else if (z < (1u << 9)) {
        put_bits((0b110u << 9) | z, 3 + 9);
      } else if (z < (1u << 12)) {
        put_bits((0b1110u << 12) | z, 4 + 12);
      } else {
        put_bits(0b1111, 4);
        put_bits(z, 64);
      }
    }
    last_delta_ = delta;

    const uint32_t x = v ^ last_value_;
    if (x == 0) {
      put_bits(0b0, 1);
    } else {
      const auto leading = static_cast<unsigned>(std::countl_zero(x));
      const auto trailing = static_cast<unsigned>(std::countr_zero(x));
      if (window_leading_ != kNoWindow && leading >= window_leading_ &&
          trailing >= window_trailing_) {
        const unsigned length = 32 - window_leading_ - window_trailing_;
        put_bits((uint64_t{0b10} << length) | (x >> window_trailing_), 2 + length);
      } else {
        const unsigned length = 32 - leading - trailing;
        const uint64_t header = (uint64_t{0b11} << 10) | (leading << 5) | (length - 1);
        put_bits((header << length) | (x >> trailing), 12 + length);
        window_leading_ = leading;
        window_trailing_ = trailing;
      }
    }
  }
  last_value_ = v;
  last_s_ = timestamp_s;
  ++count_;
}

void BlockEncoder::grow() { bits_.reserve(bits_.size() + bits_.size() / 4 + 32); }

void BlockEncoder::clear() {
  // Swapped, not cleared: clearing keeps the old buffer, and every series
  // would hold its largest block's bytes in RAM for good.
  BlockEncoder empty;
  std::swap(*this, empty);
}

std::string BlockEncoder::plain_bitstream() const {
  std::string plain;
  plain.reserve(10 + encoded_bytes());
  stream::wire::put_zigzag(plain, first_s_);
  plain.append(bits_.data(), bits_.size());
  // The bits still in the accumulator, MSB first, the last byte padded with zeros.
  if (acc_bits_ != 0) {
    const uint64_t tail = acc_ << (64 - acc_bits_);
    for (unsigned i = 0; i < (acc_bits_ + 7) / 8; ++i) {
      plain.push_back(static_cast<char>(static_cast<uint8_t>(tail >> (56 - 8 * i))));
    }
  }
  return plain;
}

std::string BlockEncoder::serialize(bool try_zstd) const {
  std::string out;
  out.push_back(static_cast<char>(try_zstd ? kSealedBlockVersion : kBlockVersion));
  out.push_back('\0');
  stream::wire::put_varint(out, count_);
  std::string plain = plain_bitstream();
  if (!try_zstd) return out + plain;

  // Sealing: the samples again, straight from the bit stream as float bit patterns (buffers
  // reused from block to block), re-coded (sealed_block.h), then zstd when smaller.
  thread_local std::vector<int64_t> times;
  thread_local std::vector<uint32_t> bits;
  times.clear();
  bits.clear();
  const Status own = decode_bitstream(plain, count_, [&](int64_t t, uint32_t v) {
    times.push_back(t);
    bits.push_back(v);
  });
  assert(own.ok());
  (void)own;
  plain.clear();
  encode_sealed_payload(times, bits, plain);
  if (plain.size() >= 64) {
    // Compressed straight after the header; taken back when it is not smaller.
    const size_t header = out.size();
    stream::wire::put_varint(out, plain.size());
    thread_local stream::ZstdCompressor compressor(3);
    if (compressor.compress(plain, out).ok() && out.size() - header < plain.size()) {
      out[1] = static_cast<char>(kBlockFlagZstd);
      return out;
    }
    out.resize(header);
  }
  out += plain;
  return out;
}

Result<DecodedBlock> decode_block(std::string_view bytes) {
  stream::wire::Reader header(bytes, 0);
  const uint8_t version = header.u8("version");
  const uint8_t flags = header.u8("flags");
  const uint64_t count = header.varint("count");
  if (!header.ok()) return corrupt(header.error()->message);
  if (version != kBlockVersion && version != kSealedBlockVersion2 &&
      version != kSealedBlockVersion) {
    return corrupt("unknown version " + std::to_string(version));
  }
  if ((flags & ~kBlockFlagZstd) != 0) return corrupt("unknown flags " + std::to_string(flags));
  if (count == 0 || count > kMaxBlockSamples) {
    return corrupt("sample count " + std::to_string(count) + " out of range");
  }
  std::string_view plain = bytes.substr(bytes.size() - header.remaining());
  std::string unpacked;
  if ((flags & kBlockFlagZstd) != 0) {
    stream::wire::Reader sized(plain, 0);
    const uint64_t raw_size = sized.varint("raw size");
    // A bit stream never needs more than ~15 bytes per sample plus the first timestamp; a
    // version 2 or 3 payload at most 20 per timestamp run and 11 per value.
    const uint64_t bound = version == kBlockVersion ? count * 16 + 16 : count * 32 + 64;
    if (!sized.ok() || raw_size > bound) return corrupt("bad compressed size");
    thread_local stream::ZstdDecompressor decompressor;
    auto raw = decompressor.decompress(plain.substr(plain.size() - sized.remaining()), raw_size);
    if (!raw.ok()) return corrupt(raw.error().message);
    unpacked = std::move(raw).value();
    plain = unpacked;
  }
  DecodedBlock block;
  block.timestamps.reserve(count);
  block.values.reserve(count);
  if (version == kBlockVersion) {
    TRIB_TRY(decode_bitstream(plain, count, block));
  } else {
    TRIB_TRY(decode_sealed_payload(plain, count, version, block));
  }
  return block;
}

}  // namespace trib::parent::storage
