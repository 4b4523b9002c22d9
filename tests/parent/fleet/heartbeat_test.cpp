#include "parent/fleet/heartbeat.h"

#include <gtest/gtest.h>

#include "parent/fleet/fleet_test_support.h"

namespace trib::parent::fleet {
namespace {

TEST(ParseHeartbeat, MinimalPayload) {
  auto h = parse_heartbeat(heartbeat_fixture("minimal.json"));
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_EQ(h->id, "web-01");
  EXPECT_EQ(h->version, "Telegraf 1.37.1 (git: HEAD@8a3f0c2e)");
  EXPECT_EQ(h->schema, 1);
  EXPECT_EQ(h->hostname, "web-01.prod.example.net");
  EXPECT_FALSE(h->reported_status.has_value());
  EXPECT_FALSE(h->statistics.has_value());
  EXPECT_FALSE(h->last.has_value());
}

TEST(ParseHeartbeat, ControllerPayload) {
  auto h = parse_heartbeat(heartbeat_fixture("controller.json"));
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_EQ(h->reported_status, "OK");
  EXPECT_EQ(h->statistics, R"({"errors":0,"metrics":1260,"warnings":1})");
  ASSERT_TRUE(h->configurations.has_value());
  EXPECT_EQ(h->configurations->front(), '[');
}

TEST(ParseHeartbeat, PayloadAfterAFailedSend) {
  auto h = parse_heartbeat(heartbeat_fixture("after_failure.json"));
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_EQ(h->last, 1766053800);
  EXPECT_EQ(h->reported_status, "FAIL");
  ASSERT_TRUE(h->logs.has_value());
  EXPECT_NE(h->logs->find("outputs.influxdb_v2"), std::string::npos);
}

TEST(ParseHeartbeat, LenientAboutSchemaAndUnknownMembers) {
  auto h = parse_heartbeat(R"({"id":"a","version":"x","future":{"k":1}})");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->schema, 1);  // missing means 1
  h = parse_heartbeat(R"({"id":"a","version":"x","schema":7,"status":"warn"})");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->schema, 7);  // kept as it came
  EXPECT_EQ(agent_status(h->reported_status), "warn");
}

TEST(ParseHeartbeat, RefusesOnlyWhatTheIssueNames) {
  const std::pair<const char*, const char*> cases[] = {
      {"{not json", "not valid JSON"},
      {"[1,2]", "not a JSON object"},
      {R"({"version":"x"})", "`id` is missing"},
      {R"({"id":"","version":"x"})", "`id` is empty"},
      {R"({"id":5,"version":"x"})", "`id` is not a string"},
      {R"({"id":"a"})", "`version` is missing"},
  };
  for (const auto& [body, reason] : cases) {
    auto h = parse_heartbeat(body);
    ASSERT_FALSE(h.ok()) << body;
    EXPECT_NE(h.error().message.find(reason), std::string::npos) << h.error().message;
  }
}

TEST(AgentStatus, MapsReportedStatuses) {
  EXPECT_EQ(agent_status(std::nullopt), "ok");
  EXPECT_EQ(agent_status("OK"), "ok");
  EXPECT_EQ(agent_status("WARN"), "warn");
  EXPECT_EQ(agent_status("Fail"), "fail");
  EXPECT_EQ(agent_status("UNDEFINED"), "undefined");
  EXPECT_EQ(agent_status("weird"), "undefined");
}

}  // namespace
}  // namespace trib::parent::fleet
