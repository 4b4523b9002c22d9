#include "common/base/limits.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

namespace trib {
namespace {

TEST(RaiseOpenFilesLimit, SoftLimitReachesTheHardLimit) {
  auto raised = raise_open_files_limit();
  ASSERT_TRUE(raised.ok()) << raised.error().describe();
  rlimit now{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &now), 0);
  EXPECT_EQ(now.rlim_cur, now.rlim_max);
  EXPECT_EQ(*raised, now.rlim_cur);
}

}  // namespace
}  // namespace trib
