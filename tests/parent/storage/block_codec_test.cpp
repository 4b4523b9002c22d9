#include "parent/storage/block_codec.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

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

}  // namespace
}  // namespace trib::parent::storage
