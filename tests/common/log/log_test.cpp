#include "common/log/log.h"

#include <gtest/gtest.h>

namespace trib::log {
namespace {

TEST(MaskTest, SecretsKeepOnlyAPrefix) {
  EXPECT_EQ(mask_secret("11111111-2222-3333-4444-555555555555"), "11111111-****");
  EXPECT_EQ(mask_secret("short"), "****");
  EXPECT_EQ(mask_secret(""), "");
}

TEST(MaskTest, UrlsLoseTheirPasswordsAndTokens) {
  EXPECT_EQ(mask_url("postgresql://bob:hunter2@db:5432/x"), "postgresql://bob:****@db:5432/x");
  EXPECT_EQ(mask_url("http://h/api?token=abcdefghijklmnopq&x=1"),
            "http://h/api?token=abcdefgh-****&x=1");
  EXPECT_EQ(mask_url("http://h/api?monkey=1"), "http://h/api?monkey=1");
}

TEST(RateLimitedLogTest, CountsWhatItHoldsBack) {
  RateLimitedLog limiter(std::chrono::seconds(10));
  const auto t0 = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  uint64_t suppressed = 99;
  EXPECT_TRUE(limiter.should_log(t0, suppressed));
  EXPECT_EQ(suppressed, 0U);
  EXPECT_FALSE(limiter.should_log(t0 + std::chrono::seconds(1), suppressed));
  EXPECT_FALSE(limiter.should_log(t0 + std::chrono::seconds(2), suppressed));
  EXPECT_TRUE(limiter.should_log(t0 + std::chrono::seconds(11), suppressed));
  EXPECT_EQ(suppressed, 2U);
}

}  // namespace
}  // namespace trib::log
