#include "common/config/units.h"

#include <gtest/gtest.h>

namespace trib::config {
namespace {

using std::chrono::milliseconds;

TEST(ParseDuration, AcceptsEveryUnit) {
  EXPECT_EQ(*parse_duration("500ms"), milliseconds(500));
  EXPECT_EQ(*parse_duration("30s"), milliseconds(30'000));
  EXPECT_EQ(*parse_duration("1m"), milliseconds(60'000));
  EXPECT_EQ(*parse_duration("5m"), milliseconds(300'000));
  EXPECT_EQ(*parse_duration("1h"), milliseconds(3'600'000));
  EXPECT_EQ(*parse_duration("1d"), milliseconds(86'400'000));
}

TEST(ParseDuration, PlainIntegerIsSeconds) {
  EXPECT_EQ(*parse_duration("45"), milliseconds(45'000));
  EXPECT_EQ(*parse_duration(" 2 "), milliseconds(2'000));
}

TEST(ParseDuration, RejectsGarbageWithAClearMessage) {
  auto r = parse_duration("10x");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("unknown duration unit 'x'"), std::string::npos);
  EXPECT_NE(r.error().message.find("ms, s, m, h, d"), std::string::npos);
  EXPECT_FALSE(parse_duration("").ok());
  EXPECT_FALSE(parse_duration("-5s").ok());
  EXPECT_FALSE(parse_duration("s").ok());
  EXPECT_FALSE(parse_duration("1.5h").ok());
  EXPECT_FALSE(parse_duration("99999999999999999999s").ok());
  EXPECT_FALSE(parse_duration("9999999999999999d").ok());
}

TEST(ParseSize, BinaryAndDecimalUnits) {
  EXPECT_EQ(*parse_size("64KiB"), 64u * 1024);
  EXPECT_EQ(*parse_size("256MiB"), 256ull << 20);
  EXPECT_EQ(*parse_size("20GiB"), 20ull << 30);
  EXPECT_EQ(*parse_size("1000"), 1000u);
  EXPECT_EQ(*parse_size("10MB"), 10'000'000u);
  EXPECT_EQ(*parse_size("3B"), 3u);
}

TEST(ParseSize, RejectsAmbiguousOrUnknownUnits) {
  auto r = parse_size("10M");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("KiB"), std::string::npos);
  EXPECT_FALSE(parse_size("lots").ok());
  EXPECT_FALSE(parse_size("20000000TiB").ok());
}

TEST(ParseByteRate, NeedsPerSecond) {
  EXPECT_EQ(*parse_byte_rate("5MiB/s"), 5ull << 20);
  EXPECT_EQ(*parse_byte_rate("100/s"), 100u);
  EXPECT_FALSE(parse_byte_rate("5MiB").ok());
  EXPECT_FALSE(parse_byte_rate("5Mi/s").ok());
}

TEST(FormatUnits, RoundTrip) {
  EXPECT_EQ(format_duration(milliseconds(30'000)), "30s");
  EXPECT_EQ(format_duration(milliseconds(300'000)), "5m");
  EXPECT_EQ(format_duration(milliseconds(1'500)), "1500ms");
  EXPECT_EQ(format_duration(milliseconds(86'400'000)), "1d");
  EXPECT_EQ(format_duration(milliseconds(0)), "0s");
  EXPECT_EQ(format_size(256ull << 20), "256MiB");
  EXPECT_EQ(format_size(1000), "1000");
  EXPECT_EQ(format_size(10485760), "10MiB");
  EXPECT_EQ(format_size(0), "0");
  EXPECT_EQ(*parse_duration("5y"), milliseconds(5ll * 365 * 86'400'000));
  EXPECT_EQ(format_duration(milliseconds(730ll * 86'400'000)), "2y");
  for (const char* text : {"90s", "2h", "7d", "250ms", "366d", "1y"}) {
    EXPECT_EQ(format_duration(*parse_duration(text)), text);
  }
}

}  // namespace
}  // namespace trib::config
