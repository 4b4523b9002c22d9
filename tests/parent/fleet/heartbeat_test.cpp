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
  EXPECT_EQ(h->statistics, R"({"errors":0,"warnings":1,"metrics":1260})");
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

TEST(ParseHeartbeat, KeepsStoredMembersCompactInTheOrderSent) {
  auto h = parse_heartbeat(
      R"({ "id" : "a", "version" : 2.50, "hostname" : 7, "status" : {"s" : [1, "x\n"]},)"
      R"( "statistics" : { "z" : 1 , "a" : [ true , null , -1.5e3 ] }, "logs" : "text" })");
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_EQ(h->version, "2.5");  // a non-string member keeps its JSON text
  EXPECT_EQ(h->hostname, "7");
  EXPECT_EQ(h->reported_status, R"({"s":[1,"x\n"]})");
  EXPECT_EQ(h->statistics, R"({"z":1,"a":[true,null,-1500.0]})");
  EXPECT_EQ(h->logs, R"("text")");  // JSON text: a string stays quoted
  EXPECT_FALSE(h->configurations.has_value());
}

TEST(ParseHeartbeat, NullMembersAreAbsentAndTheLastOfARepeatedMemberCounts) {
  auto h = parse_heartbeat(
      R"({"id":"first","id":"second","version":null,"schema":2,"schema":3,"statistics":null})");
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_EQ(h->id, "second");
  EXPECT_EQ(h->version, "");  // present but null: not missing
  EXPECT_EQ(h->schema, 3);
  EXPECT_FALSE(h->statistics.has_value());
  EXPECT_FALSE(parse_heartbeat(R"({"id":null,"version":"x"})").ok());
}

TEST(ParseHeartbeat, RefusesWhatTheParserCannotHoldAsNotValidJson) {
  for (const char* body : {R"({"id":"a","version":"x","n":123456789012345678901234567890})",
                           R"({"id":"a","version":"x"} trailing)", "", "{\"id\":\"\xff\"}"}) {
    auto h = parse_heartbeat(body);
    ASSERT_FALSE(h.ok()) << body;
    EXPECT_NE(h.error().message.find("not valid JSON"), std::string::npos) << h.error().message;
  }
  auto big = parse_heartbeat(R"({"id":"a","version":"x","last":18446744073709551615})");
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->last, -1);  // above INT64_MAX: the bits, as before
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
