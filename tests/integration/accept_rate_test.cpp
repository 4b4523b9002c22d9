// parent.yaml `stream_accept_every` (Netdata's `accept a streaming request every seconds`): a
// second stream within the interval is told to try later, and gets in once it has passed.
#include <gtest/gtest.h>

#include "integration/cluster.h"

namespace trib::test {
namespace {

using namespace std::chrono_literals;

TEST(AcceptRate, AStreamWithinTheIntervalIsToldToTryLaterThenAdmitted) {
  Cluster cluster;
  cluster.write_parent_yaml("stream_accept_every: 2\n");
  cluster.start_parent();
  cluster.set_agent_guid("first", "7a1b2c3d-4e5f-6789-abcd-ef0123456789");
  cluster.set_agent_guid("second", "7b1b2c3d-4e5f-6789-abcd-ef0123456789");
  auto first = cluster.start_agent("first");
  ASSERT_TRUE(
      eventually([&] { return cluster.reachable("7a1b2c3d-4e5f-6789-abcd-ef0123456789"); }, 5s));
  auto second = cluster.start_agent("second");
  EXPECT_TRUE(eventually(
      [&] { return cluster.parent_log().find("'RATE LIMIT TRY LATER'") != std::string::npos; }, 5s))
      << cluster.parent_log();
  EXPECT_TRUE(eventually(
      [&] {
        return cluster.agent_log("second").find("refused the stream: a stream was accepted") !=
               std::string::npos;
      },
      5s))
      << cluster.agent_log("second");
  EXPECT_TRUE(
      eventually([&] { return cluster.reachable("7b1b2c3d-4e5f-6789-abcd-ef0123456789"); }, 8s))
      << cluster.agent_log("second");
}

}  // namespace
}  // namespace trib::test
