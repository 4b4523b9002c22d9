#include "common/base/process_setup.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

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

// Writing to a socket whose peer is gone fails with EPIPE instead of killing the process.
TEST(IgnoreBrokenPipes, AWriteToAClosedSocketIsAnError) {
  ignore_broken_pipes();
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  ::close(fds[1]);
  errno = 0;
  EXPECT_EQ(::write(fds[0], "x", 1), -1);
  EXPECT_EQ(errno, EPIPE);
  ::close(fds[0]);
}

}  // namespace
}  // namespace trib
