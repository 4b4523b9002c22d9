#include "common/base/result.h"

#include <gtest/gtest.h>

#include <uv.h>

namespace trib {
namespace {

Result<int> parse_positive(int v) {
  if (v <= 0) return Error(Errc::invalid_argument, "not positive: " + std::to_string(v));
  return v;
}

Result<int> doubled(int v) {
  TRIB_ASSIGN_OR_RETURN(int x, parse_positive(v));
  return x * 2;
}

Status check(int v) {
  TRIB_TRY(parse_positive(v));
  return {};
}

TEST(ResultTest, ValueAndErrorPropagate) {
  EXPECT_EQ(*doubled(4), 8);
  auto bad = doubled(-1);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.error().is(Errc::invalid_argument));
  EXPECT_EQ(bad.error().describe(), "not positive: -1");
  EXPECT_TRUE(check(1).ok());
  EXPECT_FALSE(check(0).ok());
}

TEST(ResultTest, LibraryCategoriesDescribeThemselves) {
  Error uv(uv_error(UV_ECONNREFUSED), "connect to 127.0.0.1:1");
  EXPECT_EQ(uv.describe(), "connect to 127.0.0.1:1: connection refused");
  EXPECT_STREQ(uv.code.category().name(), "libuv");
}

}  // namespace
}  // namespace trib
