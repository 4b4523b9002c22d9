#pragma once
// The payload of a sealed sample block, versions 2 and 3 (docs/storage.md, "Block format"). An
// open block fills as a version 1 bit stream (block_codec.h: cheap per sample on the ingest
// path); when it is sealed it is re-coded here, once per block, in whichever of a few value
// codings suits its samples, before zstd:
//
//   zigzag varint first timestamp | varint runs | runs x (varint delta, varint length)
//   | u8 value coding | values
//   value codings (on the float32 bit patterns):
//     0 constant        u32 LE: every sample has this value
//     1 float planes    the 4 byte planes of the patterns, most significant plane first
//     2 ordered deltas  the 4 byte planes of zigzag(u32 difference) of the order-preserving keys
//                       (sign-flipped patterns), so small moves of a noisy value are small numbers
//     3 scaled deltas   u8 scale index, then zigzag varint differences of round(value x scale),
//                       when every value is exactly (float)(integer / scale) for one scale of
//                       kScales (integers, hundredths, 1/1024ths...)
//     4 fractions       (version 3 on) per sample n x K / d, K one of {1, 100} per block, d
//                       mostly the previous sample's, a correction of a few units in the last
//                       place, or the pattern itself: CPU percentages (100 x jiffies / jiffies),
//                       rates over 2 s or 3 s steps (halves, thirds)
//
// The coding is picked by the order-0 entropy of each candidate's bytes (a cheap stand-in for
// what zstd will make of it); fractions are offered only when a probe of 16 samples finds them
// cheaper than the planes. Lossless for float32 bit patterns (NaN payloads aside).
//
// Pure code, any thread.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "common/base/result.h"
#include "parent/storage/block_codec.h"

namespace trib::parent::storage {

// Appends the version 3 payload (before zstd) of the samples to `out`. `times` strictly
// increase; `bits` are float32 bit patterns; both have the same, non-zero size.
void encode_sealed_payload(std::span<const int64_t> times, std::span<const uint32_t> bits,
                           std::string& out);

// Decodes `count` samples from a version 2 or 3 (`version`) payload into `out` (appended);
// coding 4 only under version 3. Bad input is
// Errc::parse_error naming what was wrong; never an allocation beyond `count` samples.
Status decode_sealed_payload(std::string_view payload, uint64_t count, uint8_t version,
                             DecodedBlock& out);

}  // namespace trib::parent::storage
