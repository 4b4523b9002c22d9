#include "common/http/url.h"

#include <gtest/gtest.h>

namespace trib::http {
namespace {

TEST(UrlTest, DecodeHandlesPlusAndEscapes) {
  EXPECT_EQ(*url_decode("Debian+GNU%2FLinux", true), "Debian GNU/Linux");
  EXPECT_EQ(*url_decode("a+b", false), "a+b");
  EXPECT_FALSE(url_decode("%4", true).ok());
  EXPECT_FALSE(url_decode("%", true).ok());
  EXPECT_FALSE(url_decode("%G0", true).ok());
}

TEST(UrlTest, EncodeRoundTrips) {
  const std::string raw = "12 (bookworm)&x=1+2%";
  EXPECT_EQ(url_encode(raw), "12%20%28bookworm%29%26x%3D1%2B2%25");
  EXPECT_EQ(*url_decode(url_encode(raw), true), raw);
}

TEST(UrlTest, ParseQuerySplitsOnFirstEquals) {
  auto params = parse_query("a=1&b=x=y&&=skip&c&d=%20");
  ASSERT_TRUE(params.ok());
  ASSERT_EQ(params->size(), 4U);
  EXPECT_EQ(*find_param(*params, "b"), "x=y");
  EXPECT_EQ(*find_param(*params, "c"), "");
  EXPECT_EQ(*find_param(*params, "d"), " ");
  EXPECT_EQ(find_param(*params, "zz"), nullptr);
}

}  // namespace
}  // namespace trib::http
