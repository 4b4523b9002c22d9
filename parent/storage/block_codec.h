#pragma once
// The compressed sample block of the dbengine store (docs/storage.md, "Block format"): the
// samples of one dimension over a stretch of time. While a block fills (in RAM, on the ingest
// path) it is a version 1 bit stream of delta-of-delta timestamps and Gorilla XOR values, cheap
// to append to; when it is sealed it is re-coded once as version 3 (sealed_block.h: timestamp
// runs and the best of a few value codings), zstd-wrapped when that is smaller. Versions 1, 2
// (sealed before the fractions coding) and 3 all decode.
//
//   u8 version (1, 2 or 3) | u8 flags | varint count | payload
//   flags bit 0: payload is `varint raw size | zstd frame` of the bitstream; other bits are 0
//   version 1 bitstream: zigzag varint first timestamp, then a bit stream (MSB first):
//     timestamps: the first delta as 32 bits, then delta-of-deltas: '0' = same delta,
//                 '10'+7 bits, '110'+9 bits, '1110'+12 bits, '1111'+32 bits (zigzag)
//     values:     float32 bit patterns; the first raw (32 bits), then XOR with the previous:
//                 '0' = same value, '10' + the meaningful bits inside the previous window,
//                 '11' + 5 bits leading zeros + 5 bits (length - 1) + the meaningful bits
//
// Values are stored as float (like the RAM ring and Netdata's storage_number): relative error
// below 6e-8; NaN is a gap and round-trips as NaN.
//
// Pure code, any thread; an encoder or a decoder belongs to one thread at a time.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/base/result.h"

namespace trib::parent::storage {

inline constexpr uint8_t kBlockVersion = 1;         // the bit stream of an open block
inline constexpr uint8_t kSealedBlockVersion2 = 2;  // sealed before the fractions coding
inline constexpr uint8_t kSealedBlockVersion = 3;   // sealed: re-coded (sealed_block.h)
inline constexpr uint8_t kBlockFlagZstd = 0x01;
// A block never holds more samples than this, so a decoder never allocates more.
inline constexpr size_t kMaxBlockSamples = 65536;

// Appends samples with strictly increasing timestamps, MSB-first into a growing bit buffer.
class BlockEncoder {
 public:
  // `timestamp_s` must be greater than the previous one; count() < kMaxBlockSamples.
  void append(int64_t timestamp_s, double value);

  size_t count() const { return count_; }
  bool empty() const { return count_ == 0; }
  int64_t first_time_s() const { return first_s_; }
  int64_t last_time_s() const { return last_s_; }
  // Bytes the bitstream takes so far (what an open block costs in RAM).
  size_t encoded_bytes() const { return bits_.size() + (acc_bits_ + 7) / 8; }
  size_t memory_bytes() const { return sizeof(*this) + bits_.capacity(); }

  // `try_zstd`: the block as sealed and stored, version 2, zstd-wrapped when that is smaller
  // (costs a decode and a re-code: once per block). Otherwise the version 1 bit stream as it is
  // (an open block shown to a reader). The encoder keeps its state either way, so an open block
  // can be serialized and still grow.
  std::string serialize(bool try_zstd) const;
  void clear();

 private:
  void put_bits(uint64_t value, unsigned nbits);
  // Room for more words, by a quarter at a time: an open block is the main RAM cost of a series,
  // and doubling the capacity (what std::string's reserve() does) would leave a third of it
  // unused on average. A vector's reserve() allocates what it is asked for.
  void grow();
  std::string plain_bitstream() const;

  std::vector<char> bits_;  // the bit stream so far, in whole 64-bit words (big-endian)
  uint64_t acc_ = 0;        // the bits after them (fewer than 64), in the low bits
  unsigned acc_bits_ = 0;
  size_t count_ = 0;
  int64_t first_s_ = 0;
  int64_t last_s_ = 0;
  int64_t last_delta_ = 0;
  uint32_t last_value_ = 0;
  unsigned window_leading_ = 0xff;  // the XOR window of the previous value; 0xff: none yet
  unsigned window_trailing_ = 0;
};

inline void BlockEncoder::put_bits(uint64_t value, unsigned nbits) {
  // Bits go into a 64-bit accumulator and leave it a word at a time: one append per 64 bits
  // instead of one per byte (this is the hottest loop of ingest).
  if (nbits < 64) value &= (uint64_t{1} << nbits) - 1;
  const unsigned room = 64 - acc_bits_;
  if (nbits < room) {
    acc_ = (acc_ << nbits) | value;
    acc_bits_ += nbits;
    return;
  }
  // The word fills: its top `room` bits come from `value`, the rest of `value` stays behind.
  const unsigned rest = nbits - room;
  const uint64_t word = room == 64 ? value : (acc_ << room) | (value >> rest);
  char bytes[8];
  for (int i = 0; i < 8; ++i) {
    bytes[i] = static_cast<char>(static_cast<uint8_t>(word >> (56 - 8 * i)));
  }
  if (bits_.size() + 8 > bits_.capacity()) grow();
  bits_.insert(bits_.end(), bytes, bytes + 8);
  acc_ = rest == 0 ? 0 : value & ((uint64_t{1} << rest) - 1);
  acc_bits_ = rest;
}

struct DecodedBlock {
  std::vector<int64_t> timestamps;
  std::vector<double> values;
};

// Decodes a serialized block. Bad input (truncated, trailing bytes, a count over
// kMaxBlockSamples, timestamps that do not increase, an unknown version or flag) is
// Errc::parse_error with what was wrong; never a crash or an allocation beyond the bounds above.
Result<DecodedBlock> decode_block(std::string_view bytes);

}  // namespace trib::parent::storage
