// Ephemeral hosts: parent.yaml cleanup_orphan_hosts_after forgets a child that stays away, and
// delete_orphan_host_data decides whether its dbengine data goes with it.
#include <gtest/gtest.h>

#include <csignal>

#include "integration/cluster.h"

namespace trib::test {
namespace {

using namespace std::chrono_literals;

bool listed(Cluster& cluster, const std::string& hostname) {
  auto info = cluster.get_json("/api/v1/info");
  if (!info) return false;
  for (const auto& h : (*info)["mirrored_hosts"]) {
    if (h == hostname) return true;
  }
  return false;
}

// Starts a parent that forgets hosts 2 s after they leave, streams from an agent until its
// data is stored, then stops the agent cleanly.
void stream_then_leave(Cluster& cluster, bool delete_data) {
  cluster.write_parent_yaml(std::string("storage:\n  memory_mode: ram\n") +
                            "cleanup_orphan_hosts_after: 2s\n" +
                            "delete_orphan_host_data: " + (delete_data ? "true" : "false") + "\n");
  write_file(cluster.dir() / "parent/etc/stream.conf",
             std::string("[") + kApiKey + "]\n  enabled = yes\n  default memory mode = dbengine\n");
  cluster.restart_parent();
  auto agent = cluster.start_agent("visitor");
  ASSERT_TRUE(eventually(
      [&] {
        auto data = cluster.get_json("/host/visitor/api/v1/data?chart=system.cpu&after=-5");
        return data && !(*data)["data"].empty();
      },
      20s))
      << cluster.parent_log();
  agent->stop(SIGTERM);
}

TEST(EphemeralHostsTest, AHostAwayPastTheLimitIsForgottenWithItsData) {
  Cluster cluster;
  stream_then_leave(cluster, /*delete_data=*/true);
  EXPECT_TRUE(eventually([&] { return !listed(cluster, "visitor"); }, 10s)) << cluster.parent_log();
  EXPECT_EQ(http_get(cluster.port(), "/host/visitor/api/v1/info").status, 404);
  EXPECT_TRUE(eventually([&] {
    return cluster.parent_log().find(
               "forgotten: not connected for 2 s or more (its dbengine "
               "data is deleted)") != std::string::npos;
  })) << cluster.parent_log();
  // Its data is gone from disk: a restart does not bring it back (without the delete it does,
  // see the next test).
  cluster.stop_parent();
  cluster.restart_parent();
  EXPECT_FALSE(listed(cluster, "visitor"));
}

TEST(EphemeralHostsTest, WithoutDeleteTheDataStaysOnDiskAndComesBackAtRestart) {
  Cluster cluster;
  stream_then_leave(cluster, /*delete_data=*/false);
  EXPECT_TRUE(eventually([&] { return !listed(cluster, "visitor"); }, 10s)) << cluster.parent_log();
  EXPECT_NE(cluster.parent_log().find("its dbengine data stays on disk"), std::string::npos);
  cluster.stop_parent();
  cluster.restart_parent();
  // Restored from disk as a disconnected host, with its samples, until it is forgotten again.
  EXPECT_TRUE(listed(cluster, "visitor"));
  auto data = cluster.get_json("/host/visitor/api/v1/data?chart=system.cpu&after=-600");
  ASSERT_TRUE(data.has_value());
  EXPECT_FALSE((*data)["data"].empty());
  EXPECT_TRUE(eventually([&] { return !listed(cluster, "visitor"); }, 10s));
}

}  // namespace
}  // namespace trib::test
