// Admission refusals on real binaries: every refusal is logged on both sides, the agent keeps
// retrying with back-off, the API key is never logged in full, and a parent reload lets a
// refused agent in without restarting it.
#include <gtest/gtest.h>

#include <csignal>

#include "integration/cluster.h"

namespace trib::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kOtherKey = "99999999-8888-7777-6666-555555555555";
constexpr const char* kAgentGuid = "abcdef01-2345-6789-abcd-ef0123456789";
constexpr const char* kMaskedKey = "11111111-****";

std::string key_section(const std::string& key, const std::string& body) {
  return "[" + key + "]\n  enabled = yes\n  default memory mode = ram\n" + body;
}

// Neither binary ever writes the full API key; the masked form is what they show.
void expect_key_never_logged(Cluster& cluster, const std::string& agent) {
  EXPECT_EQ(cluster.parent_log().find(kApiKey), std::string::npos) << cluster.parent_log();
  EXPECT_EQ(cluster.agent_log(agent).find(kApiKey), std::string::npos) << cluster.agent_log(agent);
}

// The parent logs the refusal (its Netdata access tag and reason) and the agent logs the
// parent's answer.
void expect_refused_on_both_sides(Cluster& cluster, const std::string& agent,
                                  const std::string& parent_says, const std::string& agent_says) {
  EXPECT_TRUE(
      eventually([&] { return cluster.parent_log().find(parent_says) != std::string::npos; }, 5s))
      << cluster.parent_log();
  EXPECT_TRUE(eventually(
      [&] {
        const std::string log = cluster.agent_log(agent);
        return log.find("refused the stream: " + agent_says) != std::string::npos;
      },
      5s))
      << cluster.agent_log(agent);
}

TEST(Admission, UnknownKeyIsRefusedAndRetriedWithBackoff) {
  Cluster cluster;
  cluster.start_parent();
  auto agent = cluster.start_agent("stranger", kOtherKey);
  expect_refused_on_both_sides(cluster, "stranger", "'ACCESS DENIED - KEY NOT ENABLED'",
                               "API key '99999999-****' is not allowed");
  // reconnect delay 1 s, doubling: the second attempt comes about 1 s after the first.
  EXPECT_TRUE(eventually(
      [&] { return count_of(cluster.parent_log(), "'ACCESS DENIED - KEY NOT ENABLED'") >= 2; }, 5s))
      << cluster.parent_log();
  // ...and the wait doubles after each refusal.
  EXPECT_TRUE(eventually(
      [&] { return cluster.agent_log("stranger").find("retrying in 2 s") != std::string::npos; },
      5s))
      << cluster.agent_log("stranger");
  EXPECT_NE(cluster.agent_log("stranger").find("retrying in 1 s"), std::string::npos);
  EXPECT_TRUE(agent->running());
  EXPECT_EQ(cluster.parent_log().find(kOtherKey), std::string::npos);
  EXPECT_EQ(cluster.agent_log("stranger").find(kOtherKey), std::string::npos);
}

TEST(Admission, DisabledKeyIsRefusedUntilTheParentReloadsAnEnabledOne) {
  Cluster cluster;
  cluster.start_parent_with_stream_conf("[" + std::string(kApiKey) + "]\n  enabled = no\n");
  auto agent = cluster.start_agent("late");
  expect_refused_on_both_sides(cluster, "late", "'ACCESS DENIED - KEY NOT ENABLED'",
                               std::string("API key '") + kMaskedKey + "' is not allowed");
  ASSERT_TRUE(eventually([&] { return !cluster.agent_guid("late").empty(); }, 5s));
  const std::string guid = cluster.agent_guid("late");
  EXPECT_FALSE(cluster.reachable(guid));

  // Enable the key and reload: the running agent gets in at its next attempt.
  cluster.write_parent_stream_conf(key_section(kApiKey, ""));
  cluster.parent().signal(SIGHUP);
  EXPECT_TRUE(eventually(
      [&] { return cluster.parent_log().find("configuration reloaded") != std::string::npos; },
      5s));
  const pid_t pid = agent->pid();
  EXPECT_TRUE(eventually([&] { return cluster.reachable(guid); }, 10s))
      << cluster.agent_log("late");
  EXPECT_TRUE(agent->running());
  EXPECT_EQ(agent->pid(), pid);
  EXPECT_EQ(count_of(cluster.agent_log("late"), "starting: host"), 1U);
  expect_key_never_logged(cluster, "late");
}

TEST(Admission, MalformedKeyIsRefused) {
  Cluster cluster;
  cluster.start_parent();
  auto agent = cluster.start_agent("typo", "not-a-guid-key");
  expect_refused_on_both_sides(cluster, "typo", "'ACCESS DENIED - INVALID KEY'",
                               "API key 'not-a-gu-****' is not valid GUID");
  EXPECT_EQ(cluster.parent_log().find("not-a-guid-key"), std::string::npos);
  EXPECT_EQ(cluster.agent_log("typo").find("not-a-guid-key"), std::string::npos);
}

TEST(Admission, MalformedMachineGuidIsRefusedWithNetdatasWording) {
  Cluster cluster;
  cluster.start_parent();
  const std::string reply =
      raw_exchange(cluster.port(), tributary_stream_request(kApiKey, "not-a-guid"), 5s);
  EXPECT_EQ(reply.rfind("TRIBUTARY/1 REFUSED denied ", 0), 0U) << reply;
  EXPECT_NE(reply.find("machine GUID 'not-a-guid' is not GUID"), std::string::npos) << reply;
  EXPECT_TRUE(eventually(
      [&] {
        const std::string log = cluster.parent_log();
        return log.find("'ACCESS DENIED - INVALID MACHINE GUID'") != std::string::npos &&
               log.find("machine GUID 'not-a-guid' is not GUID") != std::string::npos;
      },
      5s))
      << cluster.parent_log();
  EXPECT_EQ(cluster.parent_log().find(kApiKey), std::string::npos) << cluster.parent_log();
}

TEST(Admission, MachineGuidEqualToTheApiKeyIsRefusedWithoutLoggingTheKey) {
  Cluster cluster;
  cluster.start_parent();
  const std::string reply =
      raw_exchange(cluster.port(), tributary_stream_request(kApiKey, kApiKey), 5s);
  EXPECT_EQ(reply.rfind("TRIBUTARY/1 REFUSED denied ", 0), 0U) << reply;
  EXPECT_TRUE(eventually(
      [&] {
        return cluster.parent_log().find("'ACCESS DENIED - MACHINE GUID IS THE API KEY'") !=
               std::string::npos;
      },
      5s))
      << cluster.parent_log();
  // The GUID is the key here, so it must be masked like the key.
  EXPECT_EQ(cluster.parent_log().find(kApiKey), std::string::npos) << cluster.parent_log();
  EXPECT_EQ(reply.find(kApiKey), std::string::npos) << reply;
}

TEST(Admission, SecondAgentWithTheSameGuidIsRefusedAsAlreadyStreaming) {
  Cluster cluster;
  cluster.start_parent();
  cluster.set_agent_guid("first", kAgentGuid);
  cluster.set_agent_guid("clone", kAgentGuid);
  auto first = cluster.start_agent("first");
  ASSERT_TRUE(eventually([&] { return cluster.reachable(kAgentGuid); }, 10s))
      << cluster.parent_log();
  auto clone = cluster.start_agent("clone");
  expect_refused_on_both_sides(cluster, "clone", "'REJECTED - ALREADY CONNECTED'",
                               "This GUID is already streaming to this server");
  EXPECT_NE(cluster.parent_log().find("this GUID is already streaming to this server from"),
            std::string::npos);
  // The first agent keeps its stream.
  EXPECT_TRUE(cluster.reachable(kAgentGuid));
  EXPECT_EQ(cluster.agent_log("first").find("lost"), std::string::npos)
      << cluster.agent_log("first");
  expect_key_never_logged(cluster, "clone");
}

TEST(Admission, MachineGuidSectionDisabledIsRefused) {
  Cluster cluster;
  cluster.start_parent_with_stream_conf(key_section(kApiKey, "") + "[" + kAgentGuid +
                                        "]\n  enabled = no\n");
  cluster.set_agent_guid("banned", kAgentGuid);
  auto agent = cluster.start_agent("banned");
  expect_refused_on_both_sides(cluster, "banned", "'ACCESS DENIED - MACHINE GUID NOT ENABLED'",
                               std::string("machine GUID '") + kAgentGuid + "' is not allowed");
  EXPECT_FALSE(cluster.reachable(kAgentGuid));
  expect_key_never_logged(cluster, "banned");
}

TEST(Admission, AllowFromThatExcludesLoopbackIsRefused) {
  Cluster cluster;
  cluster.start_parent_with_stream_conf(key_section(kApiKey, "  allow from = 10.*\n"));
  auto agent = cluster.start_agent("outside");
  expect_refused_on_both_sides(
      cluster, "outside", "'ACCESS DENIED - KEY NOT ALLOWED FROM THIS IP'",
      std::string("API key '") + kMaskedKey + "' is not permitted from this IP '127.0.0.1'");
  expect_key_never_logged(cluster, "outside");
}

TEST(Admission, AdmittedAgentNeverHasItsKeyLogged) {
  Cluster cluster;
  cluster.start_parent();
  auto agent = cluster.start_agent("quiet");
  ASSERT_TRUE(eventually([&] { return !cluster.agent_guid("quiet").empty(); }, 5s));
  ASSERT_TRUE(eventually([&] { return cluster.reachable(cluster.agent_guid("quiet")); }, 10s));
  EXPECT_NE(cluster.parent_log().find(kMaskedKey), std::string::npos) << cluster.parent_log();
  expect_key_never_logged(cluster, "quiet");
}

}  // namespace
}  // namespace trib::test
