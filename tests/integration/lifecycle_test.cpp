// Agent reloads (SIGHUP and the periodic re-read) while it streams, and how both binaries stop:
// gracefully on SIGTERM/SIGINT, and as a lost host when the agent is killed.
#include <gtest/gtest.h>

#include <csignal>

#include "integration/cluster.h"

namespace trib::test {
namespace {

using namespace std::chrono_literals;

// The timestamp of the newest system.cpu row the parent has for `guid`; 0 if none.
int64_t newest_cpu_row(Cluster& cluster, const std::string& guid) {
  auto data = cluster.get_json("/host/" + guid + "/api/v1/data?chart=system.cpu&after=-10");
  if (!data || (*data)["data"].empty()) return 0;
  int64_t newest = 0;
  for (const auto& row : (*data)["data"]) {
    if (!row.empty() && row[0].is_number()) newest = std::max(newest, row[0].get<int64_t>());
  }
  return newest;
}

// Data for `guid` is still arriving: a newer row than `after` shows up.
bool data_keeps_arriving(Cluster& cluster, const std::string& guid, int64_t after) {
  return eventually([&] { return newest_cpu_row(cluster, guid) > after; }, 5s);
}

class Streaming : public ::testing::Test {
 protected:
  void start(const std::string& agent_yaml) {
    cluster_.start_parent();
    agent_ = cluster_.start_agent(kName, kApiKey, agent_yaml);
    ASSERT_TRUE(eventually([&] { return !cluster_.agent_guid(kName).empty(); }, 5s));
    guid_ = cluster_.agent_guid(kName);
    ASSERT_TRUE(eventually([&] { return cluster_.reachable(guid_); }, 10s))
        << cluster_.parent_log();
    ASSERT_TRUE(eventually([&] { return newest_cpu_row(cluster_, guid_) > 0; }, 10s));
  }
  bool agent_logged(const std::string& text, std::chrono::milliseconds limit = 5s) {
    return eventually([&] { return cluster_.agent_log(kName).find(text) != std::string::npos; },
                      limit);
  }
  bool parent_logged(const std::string& text, std::chrono::milliseconds limit = 5s) {
    return eventually([&] { return cluster_.parent_log().find(text) != std::string::npos; }, limit);
  }
  // The agent is the process it was, and its one stream was never dropped.
  void expect_same_process_and_stream(pid_t pid) {
    EXPECT_TRUE(agent_->running());
    EXPECT_EQ(agent_->pid(), pid);
    EXPECT_EQ(count_of(cluster_.agent_log(kName), "starting: host"), 1U)
        << cluster_.agent_log(kName);
    EXPECT_EQ(count_of(cluster_.parent_log(), "'CONNECTED'"), 1U) << cluster_.parent_log();
    EXPECT_TRUE(cluster_.reachable(guid_));
  }

  static constexpr const char* kName = "node-01";
  Cluster cluster_;
  std::unique_ptr<Process> agent_;
  std::string guid_;
};

TEST_F(Streaming, SighupStopsADisabledCollectorAndRefusesABrokenConfig) {
  start("hostname: node-01\n");
  const pid_t pid = agent_->pid();

  cluster_.write_agent_yaml(
      kName, "hostname: node-01\ncollectors:\n  proc.entropy:\n    enabled: false\n");
  agent_->signal(SIGHUP);
  EXPECT_TRUE(agent_logged("configuration changed (SIGHUP): applying collector settings"))
      << cluster_.agent_log(kName);
  EXPECT_TRUE(agent_logged("[collector:proc.entropy] stopped")) << cluster_.agent_log(kName);
  expect_same_process_and_stream(pid);

  cluster_.write_agent_yaml(kName, "hostname: node-01\ncollectors: [\n");
  agent_->signal(SIGHUP);
  EXPECT_TRUE(agent_logged("new configuration refused (SIGHUP), keeping the running one"))
      << cluster_.agent_log(kName);
  EXPECT_TRUE(agent_logged("agent.yaml")) << cluster_.agent_log(kName);
  EXPECT_TRUE(data_keeps_arriving(cluster_, guid_, newest_cpu_row(cluster_, guid_)));
  expect_same_process_and_stream(pid);
}

TEST_F(Streaming, PeriodicCheckPicksUpAChangeWithoutASignal) {
  // 1 s is the smallest interval agent.yaml accepts.
  start("hostname: node-01\nconfig_check_interval: 1s\n");
  const pid_t pid = agent_->pid();
  cluster_.write_agent_yaml(kName,
                            "hostname: node-01\nconfig_check_interval: 1s\ncollectors:\n"
                            "  proc.entropy:\n    enabled: false\n");
  EXPECT_TRUE(agent_logged("configuration changed (periodic check): applying collector settings"))
      << cluster_.agent_log(kName);
  EXPECT_TRUE(agent_logged("[collector:proc.entropy] stopped")) << cluster_.agent_log(kName);
  expect_same_process_and_stream(pid);

  // A broken file is reported once, not every second, and the running config stays.
  cluster_.write_agent_yaml(kName, "hostname: node-01\nconfig_check_interval: 1s\nlog: 3\n");
  EXPECT_TRUE(agent_logged("new configuration refused (periodic check)"));
  const int64_t before = newest_cpu_row(cluster_, guid_);
  EXPECT_TRUE(data_keeps_arriving(cluster_, guid_, before + 1));
  EXPECT_EQ(count_of(cluster_.agent_log(kName), "new configuration refused"), 1U)
      << cluster_.agent_log(kName);
  expect_same_process_and_stream(pid);
}

TEST_F(Streaming, ParentKeepsItsRulesWhenSighupFindsABrokenStreamConf) {
  start("hostname: node-01\n");
  cluster_.write_parent_stream_conf(std::string("[") + kApiKey + "]\n  enabled = maybe\n");
  cluster_.parent().signal(SIGHUP);
  EXPECT_TRUE(parent_logged("new configuration refused (SIGHUP), keeping the running one"))
      << cluster_.parent_log();
  EXPECT_TRUE(parent_logged("stream.conf:2")) << cluster_.parent_log();
  EXPECT_TRUE(cluster_.parent().running());
  EXPECT_TRUE(cluster_.reachable(guid_));
  // The running rules still admit new agents.
  auto second = cluster_.start_agent("node-02");
  ASSERT_TRUE(eventually([&] { return !cluster_.agent_guid("node-02").empty(); }, 5s));
  EXPECT_TRUE(eventually([&] { return cluster_.reachable(cluster_.agent_guid("node-02")); }, 10s))
      << cluster_.parent_log();
}

// SIGTERM and SIGINT: the agent says goodbye and exits 0; the parent logs it as stopped.
class GracefulAgentStop : public Streaming, public ::testing::WithParamInterface<int> {};

TEST_P(GracefulAgentStop, ParentLogsStoppedNotDisconnected) {
  start("hostname: node-01\n");
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(agent_->stop(GetParam(), 5s), 0) << cluster_.agent_log(kName);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
  EXPECT_TRUE(parent_logged("stopped from")) << cluster_.parent_log();
  EXPECT_EQ(cluster_.parent_log().find("disconnected from"), std::string::npos)
      << cluster_.parent_log();
  EXPECT_TRUE(eventually([&] { return !cluster_.reachable(guid_); }, 5s));
  EXPECT_NE(cluster_.agent_log(kName).find("tributary-agent stopped"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Signals, GracefulAgentStop, ::testing::Values(SIGTERM, SIGINT));

// SIGTERM and SIGINT: the parent ends its streams with a goodbye and exits 0.
class GracefulParentStop : public Streaming, public ::testing::WithParamInterface<int> {};

TEST_P(GracefulParentStop, ExitsZeroAndTheAgentIsToldWhy) {
  start("hostname: node-01\n");
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(cluster_.parent().stop(GetParam(), 5s), 0) << cluster_.parent_log();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
  EXPECT_NE(cluster_.parent_log().find("tributary-parent stopped"), std::string::npos);
  EXPECT_TRUE(agent_logged("parent closed the stream: parent shutting down"))
      << cluster_.agent_log(kName);
  EXPECT_TRUE(agent_->running());
}

INSTANTIATE_TEST_SUITE_P(Signals, GracefulParentStop, ::testing::Values(SIGTERM, SIGINT));

TEST_F(Streaming, KilledAgentIsALostHost) {
  start("hostname: node-01\n");
  agent_->kill_hard();
  EXPECT_TRUE(parent_logged("disconnected from")) << cluster_.parent_log();
  EXPECT_EQ(cluster_.parent_log().find("stopped from"), std::string::npos) << cluster_.parent_log();
  EXPECT_TRUE(eventually([&] { return !cluster_.reachable(guid_); }, 3s));
  auto status = cluster_.host_status(guid_);
  ASSERT_TRUE(status);
  EXPECT_EQ((*status)["reachable"], false);
}

}  // namespace
}  // namespace trib::test
