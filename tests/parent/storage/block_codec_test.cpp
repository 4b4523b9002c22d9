#include "parent/storage/block_codec.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "common/stream/wire.h"
#include "common/stream/zstd_codec.h"

namespace trib::parent::storage {
namespace {

DecodedBlock round_trip(const BlockEncoder& encoder, bool zstd) {
  auto decoded = decode_block(encoder.serialize(zstd));
  EXPECT_TRUE(decoded.ok()) << decoded.error().describe();
  return decoded.ok() ? std::move(decoded).value() : DecodedBlock{};
}

TEST(BlockCodecTest, RegularSeriesRoundTripsAsFloats) {
  BlockEncoder encoder;
  std::vector<double> values;
  for (int i = 0; i < 1000; ++i) {
    values.push_back(std::sin(i / 10.0) * 100.0);
    encoder.append(1'700'000'000 + i, values.back());
  }
  for (bool zstd : {false, true}) {
    const DecodedBlock block = round_trip(encoder, zstd);
    ASSERT_EQ(block.timestamps.size(), 1000u);
    for (int i = 0; i < 1000; ++i) {
      EXPECT_EQ(block.timestamps[i], 1'700'000'000 + i);
      EXPECT_EQ(block.values[i], static_cast<double>(static_cast<float>(values[i])));
    }
  }
}

TEST(BlockCodecTest, ConstantRegularSeriesCostsAboutTwoBitsPerSample) {
  BlockEncoder encoder;
  for (int i = 0; i < 1024; ++i) encoder.append(1'700'000'000 + i, 42.0);
  // 1 bit per timestamp and 1 per value, plus the first value, the first delta and a header.
  EXPECT_LT(encoder.serialize(false).size(), 1024 * 2 / 8 + 24);
}

TEST(BlockCodecTest, GapsIrregularStepsAndSpecialValuesSurvive) {
  const std::vector<int64_t> times = {10,   11,   12,      20,      21,
                                      1000, 1001, 100'000, 100'001, 5'000'000'000};
  const std::vector<double> values = {0.0,
                                      -0.0,
                                      std::numeric_limits<double>::quiet_NaN(),
                                      1e30,
                                      1e300,  // beyond float: +inf
                                      -1e300,
                                      std::numeric_limits<double>::quiet_NaN(),
                                      1.5,
                                      1.5,
                                      -7.25};
  BlockEncoder encoder;
  for (size_t i = 0; i < times.size(); ++i) encoder.append(times[i], values[i]);
  EXPECT_EQ(encoder.first_time_s(), 10);
  EXPECT_EQ(encoder.last_time_s(), 5'000'000'000);
  const DecodedBlock block = round_trip(encoder, true);
  ASSERT_EQ(block.timestamps, times);
  for (size_t i = 0; i < values.size(); ++i) {
    const double expected = static_cast<double>(static_cast<float>(values[i]));
    if (std::isnan(expected)) {
      EXPECT_TRUE(std::isnan(block.values[i])) << i;
    } else {
      EXPECT_EQ(block.values[i], expected) << i;
    }
  }
}

TEST(BlockCodecTest, SingleSampleAndClear) {
  BlockEncoder encoder;
  encoder.append(-5, 3.0);  // negative timestamps are not the codec's business
  DecodedBlock block = round_trip(encoder, false);
  ASSERT_EQ(block.timestamps, std::vector<int64_t>{-5});
  EXPECT_EQ(block.values[0], 3.0);
  encoder.clear();
  EXPECT_TRUE(encoder.empty());
  encoder.append(7, 1.0);
  block = round_trip(encoder, false);
  EXPECT_EQ(block.timestamps, std::vector<int64_t>{7});
}

TEST(BlockCodecTest, ClearGivesTheBlocksMemoryBack) {
  // A sealed block's bytes must not stay with every series (RAM per series at the parent).
  BlockEncoder encoder;
  for (int i = 0; i < 500; ++i) encoder.append(i, std::sin(i * 1.7) * 1e6);
  EXPECT_GT(encoder.memory_bytes(), sizeof(BlockEncoder) + 1000);
  encoder.clear();
  EXPECT_LE(encoder.memory_bytes(), sizeof(BlockEncoder) + 15);  // at most the inline buffer
}

TEST(BlockCodecTest, RandomSeriesRoundTrip) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 50; ++round) {
    BlockEncoder encoder;
    std::vector<int64_t> times;
    std::vector<float> values;
    int64_t t = static_cast<int64_t>(rng() % 1'000'000'000);
    const size_t n = 1 + rng() % 3000;
    for (size_t i = 0; i < n; ++i) {
      t += 1 + static_cast<int64_t>(rng() % (rng() % 4 == 0 ? 100000 : 3));
      const float v = std::bit_cast<float>(static_cast<uint32_t>(rng()));
      times.push_back(t);
      values.push_back(std::isnan(v) ? std::numeric_limits<float>::quiet_NaN() : v);
      encoder.append(t, static_cast<double>(values.back()));
    }
    const DecodedBlock block = round_trip(encoder, round % 2 == 0);
    ASSERT_EQ(block.timestamps, times);
    for (size_t i = 0; i < n; ++i) {
      EXPECT_EQ(std::bit_cast<uint32_t>(static_cast<float>(block.values[i])),
                std::bit_cast<uint32_t>(values[i]));
    }
  }
}

TEST(BlockCodecTest, BadBlocksAreParseErrors) {
  BlockEncoder encoder;
  for (int i = 0; i < 100; ++i) encoder.append(i + 1, i * 1.5);
  const std::string good = encoder.serialize(false);
  EXPECT_FALSE(decode_block("").ok());
  EXPECT_FALSE(decode_block(good.substr(0, good.size() - 1)).ok());
  EXPECT_FALSE(decode_block(good + "x").ok());
  std::string bad_version = good;
  bad_version[0] = 9;
  EXPECT_FALSE(decode_block(bad_version).ok());
  std::string bad_flags = good;
  bad_flags[1] = 4;
  EXPECT_FALSE(decode_block(bad_flags).ok());
  // Deltas near the int64 range still round-trip (the decoder checks its sums for overflow).
  BlockEncoder big;
  big.append(1, 0.0);
  big.append(2, 0.0);
  big.append(INT64_MAX / 2, 0.0);
  big.append(INT64_MAX - 1, 0.0);
  const auto far = decode_block(big.serialize(false));
  ASSERT_TRUE(far.ok());
  EXPECT_EQ(far->timestamps.back(), INT64_MAX - 1);
  const std::string huge_count = std::string("\x01\x00\xff\xff\xff\x0f", 6) + good.substr(3);
  const auto error = decode_block(huge_count);
  ASSERT_FALSE(error.ok());
  EXPECT_TRUE(error.error().is(Errc::parse_error));
  EXPECT_NE(error.error().message.find("count"), std::string::npos);
}

// Sealed blocks (versions 2 and 3): each value coding round-trips, and the ones meant for regular
// shapes of data are small.
std::vector<uint32_t> sealed_round_trip(const std::vector<int64_t>& times,
                                        const std::vector<double>& values, size_t* sealed_size) {
  BlockEncoder encoder;
  for (size_t i = 0; i < times.size(); ++i) encoder.append(times[i], values[i]);
  const std::string sealed = encoder.serialize(true);
  EXPECT_EQ(sealed[0], static_cast<char>(kSealedBlockVersion));
  if (sealed_size != nullptr) *sealed_size = sealed.size();
  auto decoded = decode_block(sealed);
  EXPECT_TRUE(decoded.ok()) << decoded.error().describe();
  if (!decoded.ok()) return {};
  EXPECT_EQ(decoded->timestamps, times);
  std::vector<uint32_t> bits;
  for (double v : decoded->values) bits.push_back(std::bit_cast<uint32_t>(static_cast<float>(v)));
  return bits;
}

std::vector<uint32_t> float_bits_of(const std::vector<double>& values) {
  std::vector<uint32_t> bits;
  for (double v : values) bits.push_back(std::bit_cast<uint32_t>(static_cast<float>(v)));
  return bits;
}

std::vector<int64_t> seconds(size_t n) {
  std::vector<int64_t> times(n);
  for (size_t i = 0; i < n; ++i) times[i] = 1'700'000'000 + static_cast<int64_t>(i);
  return times;
}

TEST(SealedBlockTest, ConstantSeriesTakesAFewBytes) {
  const std::vector<double> zeros(512, 0.0);
  size_t size = 0;
  EXPECT_EQ(sealed_round_trip(seconds(512), zeros, &size), float_bits_of(zeros));
  EXPECT_LT(size, 24u);  // header, first timestamp, one run, the value
}

TEST(SealedBlockTest, ScaledIntegersRoundTripAndStaySmall) {
  // Memory in MiB from kB (1/1024 steps), a load average (hundredths), a sawtooth of integers.
  for (double step : {1.0 / 1024, 0.01, 1.0}) {
    std::vector<double> values;
    for (int i = 0; i < 512; ++i) values.push_back(1000.0 + step * ((i * 37) % 101));
    size_t size = 0;
    EXPECT_EQ(sealed_round_trip(seconds(512), values, &size), float_bits_of(values)) << step;
    EXPECT_LT(size, 512u) << step;  // about a byte per sample before zstd
  }
}

TEST(SealedBlockTest, NoisyFloatsSignsAndSpecialValuesRoundTrip) {
  std::mt19937_64 rng(11);
  std::vector<double> jitter;  // a rate over a jittery interval: small moves of a float
  std::vector<double> specials;
  for (int i = 0; i < 400; ++i) {
    jitter.push_back(6.0 / (1.0 + static_cast<double>(rng() % 2000) * 1e-7));
    const double pick[] = {0.0,
                           -0.0,
                           -1.5,
                           3e38,
                           -1e-40,
                           std::numeric_limits<double>::infinity(),
                           std::bit_cast<float>(static_cast<uint32_t>(rng()))};
    specials.push_back(pick[rng() % 7]);
  }
  EXPECT_EQ(sealed_round_trip(seconds(400), jitter, nullptr), float_bits_of(jitter));
  const auto specials_back = sealed_round_trip(seconds(400), specials, nullptr);
  const auto specials_bits = float_bits_of(specials);
  ASSERT_EQ(specials_back.size(), specials_bits.size());
  for (size_t i = 0; i < specials_bits.size(); ++i) {
    if (std::isnan(std::bit_cast<float>(specials_bits[i]))) {
      EXPECT_TRUE(std::isnan(std::bit_cast<float>(specials_back[i]))) << i;
    } else {
      EXPECT_EQ(specials_back[i], specials_bits[i]) << i;
    }
  }
}

TEST(SealedBlockTest, FractionsRoundTripAndBeatTheFloatPlanes) {
  // CPU percentages: 100 x jiffies / the interval's jiffies (about 200 on two cores), and rates
  // over whole seconds with the odd 2 s or 3 s step (halves, thirds), with a few values no small
  // fraction gives (-0.0, a float off by a unit in the last place, a random pattern).
  std::mt19937_64 rng(5);
  std::vector<double> cpu;
  std::vector<double> rates;
  for (int i = 0; i < 512; ++i) {
    const auto total = static_cast<double>(199 + rng() % 3);
    cpu.push_back(static_cast<double>(rng() % 12) * 100.0 / total);
    const auto step = static_cast<double>(i % 50 == 7 ? 3 : 1);
    rates.push_back(static_cast<double>(400 + rng() % 40) / step);
  }
  std::vector<double> odd = cpu;
  odd[3] = -0.0;
  odd[100] = std::nextafter(static_cast<float>(odd[100] == 0 ? 0.5 : odd[100]), 200.0f);
  odd[200] = std::bit_cast<float>(static_cast<uint32_t>(rng()));
  for (const auto* values : {&cpu, &rates, &odd}) {
    size_t size = 0;
    EXPECT_EQ(sealed_round_trip(seconds(512), *values, &size), float_bits_of(*values));
    EXPECT_LT(size, 512u * 13 / 10);  // float planes: 2 bytes a sample or more
  }
}

TEST(SealedBlockTest, IrregularTimestampsRoundTrip) {
  const std::vector<int64_t> times = {-5, 1, 2, 3, 10, 20, 30, 31, 1'000'000, INT64_MAX - 1};
  const std::vector<double> values = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  EXPECT_EQ(sealed_round_trip(times, values, nullptr), float_bits_of(values));
}

TEST(SealedBlockTest, VersionOneBlocksOnDiskStillDecode) {
  // What sealing wrote before version 2: the version 1 bit stream, zstd-wrapped.
  BlockEncoder encoder;
  for (int i = 0; i < 300; ++i) encoder.append(100 + i, std::sin(i / 7.0) * 50);
  const std::string plain_block = encoder.serialize(false);
  const std::string bitstream = plain_block.substr(4);  // after version, flags, count (2 bytes)
  std::string old = plain_block.substr(0, 4);
  old[1] = static_cast<char>(kBlockFlagZstd);
  stream::wire::put_varint(old, bitstream.size());
  stream::ZstdCompressor compressor(3);
  ASSERT_TRUE(compressor.compress(bitstream, old).ok());
  auto from_old = decode_block(old);
  auto from_plain = decode_block(plain_block);
  ASSERT_TRUE(from_old.ok()) << from_old.error().describe();
  ASSERT_TRUE(from_plain.ok());
  EXPECT_EQ(from_old->timestamps, from_plain->timestamps);
  EXPECT_EQ(from_old->values, from_plain->values);
}

TEST(SealedBlockTest, FuzzSeedsOfEveryCodingDecode) {
  // The fuzzer starts from these (tests/fuzz/corpus/block_codec): each must be a valid block.
  for (const char* name : {"sealed_constant", "sealed_planes", "sealed_ordered", "sealed_scaled",
                           "sealed_planes_zstd", "sealed_fractions"}) {
    std::ifstream in(std::string(TRIB_SOURCE_DIR) + "/tests/fuzz/corpus/block_codec/" + name,
                     std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto decoded = decode_block(bytes);
    ASSERT_TRUE(decoded.ok()) << name << ": " << decoded.error().describe();
    EXPECT_EQ(decoded->timestamps.size(), 64u) << name;
  }
}

TEST(SealedBlockTest, BadSealedBlocksAreParseErrors) {
  // version 2, no zstd, 3 samples, first timestamp 10 (zigzag 20), one run of delta 1 x 2
  const std::string head = std::string("\x02\x00\x03", 3) + std::string("\x14\x01\x01\x02", 4);
  const std::string planes = std::string("\x01", 1) + std::string(12, '\x40');
  ASSERT_TRUE(decode_block(head + planes).ok());
  auto rejects = [](const std::string& bytes, std::string_view why) {
    const auto decoded = decode_block(bytes);
    ASSERT_FALSE(decoded.ok()) << why;
    EXPECT_TRUE(decoded.error().is(Errc::parse_error)) << why;
    EXPECT_NE(decoded.error().message.find(why), std::string::npos)
        << decoded.error().message << " / " << why;
  };
  rejects(head + planes.substr(0, 12), "value planes");
  rejects(head + planes + "x", "value planes");
  rejects(head + std::string("\x07", 1), "unknown value coding");
  rejects(head + std::string("\x00\x01\x02\x03", 4), "constant value");        // 3 bytes
  rejects(std::string("\x02\x00\x03\x14\x01\x01\x03", 7) + planes, "add up");  // 3 deltas
  rejects(std::string("\x02\x00\x03\x14\x01\x00\x02", 7) + planes, "do not increase");
  rejects(head + std::string("\x03\x63\x00\x00\x00", 5), "unknown scale");
  // first step 2^32 (varint 80 80 80 80 10): beyond what an open block can hold
  rejects(std::string("\x02\x00\x02\x14\x01\x80\x80\x80\x80\x10\x01\x00\x00\x00\x00\x00", 16),
          "first timestamp step");
  rejects(head + std::string("\x03\x00\x02\x02", 4), "scaled delta");  // one value short

  // Fractions (coding 4) exist from version 3 on: mode 0 (K = 1, numerators as they are), 3
  // codes "1" (d = 1, no correction), 3 numerators 2, 4, 6: the values 1, 2, 3.
  const std::string fractions = std::string("\x04\x00\x03\x01\x01\x01\x03\x02\x04\x06", 10);
  std::string head3 = head;
  head3[0] = '\x03';
  const auto fine = decode_block(head3 + fractions);
  ASSERT_TRUE(fine.ok()) << fine.error().describe();
  EXPECT_EQ(fine->values, (std::vector<double>{1, 2, 3}));
  rejects(head + fractions, "unknown value coding");
  rejects(head3 + std::string("\x04\x00\x03\x01\x00\x01\x02\x02\x04", 9), "exceptions");
  rejects(head3 + fractions + "x", "trailing bytes");
  rejects(head3 + std::string("\x04\x00\x03\x01\x01\x01\x02\x02\x04", 9), "numerator");
  rejects(head3 + std::string("\x04\x06\x03\x01\x01\x01\x03\x02\x04\x06", 10), "factor");
  // the second code steps d from 1 to 0 (zigzag(-1) x 7 + 1)
  rejects(head3 + std::string("\x04\x00\x03\x01\x08\x01\x03\x02\x04\x06", 10),
          "denominator out of range");
}

}  // namespace
}  // namespace trib::parent::storage
