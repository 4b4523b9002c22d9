#include "parent/fleet/fleet_api.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/time/clock.h"
#include "parent/fleet/fleet_test_support.h"

namespace trib::parent::fleet {
namespace {

using nlohmann::json;

constexpr const char* kTemplate =
    "[agent]\n  interval = \"10s\"\n[[outputs.heartbeat]]\n  instance_id = \"&{agent_id}\"\n"
    "  url = \"&{heartbeat:http://parent:8000/agents/heartbeat}\"\n"
    "[[inputs.http]]\n  urls = [\"&{urls}\"]\n";

class FleetApiTest : public BackendTest {
 protected:
  void SetUp() override {
    registry_ = open_registry("", clock_.now_s());
    ASSERT_NE(registry_, nullptr);
  }

  http::HttpResponse call(const std::string& method, const std::string& target,
                          const std::string& body = "", const std::string& accept = "") {
    http::HttpRequest request;
    request.method = method;
    request.target = target;
    const size_t q = target.find('?');
    request.path = target.substr(0, q);
    if (q != std::string::npos) request.query = *http::parse_query(target.substr(q + 1));
    request.body = body;
    if (!accept.empty()) request.headers.set("Accept", accept);
    return route_fleet_request(*registry_, request, clock_.now_s());
  }
  json call_json(const std::string& method, const std::string& target, int expected_status,
                 const std::string& body = "") {
    const auto response = call(method, target, body);
    EXPECT_EQ(response.status, expected_status) << method << " " << target << ": " << response.body;
    return response.body.empty() ? json() : json::parse(response.body, nullptr, false);
  }
  std::string create_config(const std::string& toml) {
    const json created = call_json("POST", "/api/configs", 201,
                                   json{{"name", "edge \"gw\""}, {"toml", toml}}.dump());
    return created.value("id", "");
  }

  time::ManualClock clock_{1'800'000'000};
  std::unique_ptr<FleetRegistry> registry_;
};

TEST_P(FleetApiTest, AgentsListSummaryDetailAndDelete) {
  std::vector<Heartbeat> batch;
  for (const char* name : {"minimal.json", "controller.json", "after_failure.json"}) {
    batch.push_back(*parse_heartbeat(heartbeat_fixture(name)));
  }
  ASSERT_TRUE(registry_->record_heartbeats(batch, clock_.now_s()).ok());

  json list = call_json("GET", "/api/agents?sortBy=lastSeen&sortOrder=desc&pageSize=2", 200);
  EXPECT_EQ(list["total"], 3);
  EXPECT_EQ(list["pageSize"], 2);
  EXPECT_EQ(list["agents"].size(), 2u);
  list = call_json("GET", "/api/agents?status=fail,notReporting", 200);
  ASSERT_EQ(list["agents"].size(), 1u);
  EXPECT_EQ(list["agents"][0]["id"], "db-03");

  const json agent = call_json("GET", "/api/agents/edge-gw-17", 200);
  EXPECT_EQ(agent["telegrafVersion"], "1.39.0");
  EXPECT_EQ(agent["versionString"], "Telegraf 1.39.0 (git: HEAD@5d1e9b07)");
  EXPECT_EQ(agent["status"], "ok");
  EXPECT_EQ(agent["reportedStatus"], "OK");
  EXPECT_EQ(agent["lastSeen"], "2027-01-15T08:00:00Z");
  EXPECT_EQ(agent["reportingRuleId"], "default");
  EXPECT_EQ(agent["statistics"]["metrics"], 1260);
  EXPECT_EQ(agent["configurations"]["managed"][0]["configId"],
            "0b7c2f9e-4d7a-4a55-9a63-2f1b7c1e8d10");
  EXPECT_EQ(agent["configurations"]["external"][0], "/etc/telegraf/telegraf.d/local-inputs.conf");
  EXPECT_EQ(call_json("GET", "/api/agents/db-03", 200)["logs"][0]["level"], "ERROR");

  const json summary = call_json("GET", "/api/agents/summary", 200);
  EXPECT_EQ(summary, json::parse(R"({"total":3,"ok":2,"warn":0,"fail":1,"undefined":0,
                                     "notReporting":0})"));
  EXPECT_EQ(call("DELETE", "/api/agents/db-03").status, 204);
  EXPECT_EQ(call("DELETE", "/api/agents/db-03").status, 404);
  EXPECT_EQ(call("GET", "/api/agents/db-03").status, 404);
}

TEST_P(FleetApiTest, ReportingRulesCrudAndAssignment) {
  const json created =
      call_json("POST", "/api/reporting-rules", 201,
                R"({"description":"edge","heartbeatIntervalSeconds":10,"thresholdMultiplier":6,
          "autoDeleteEnabled":true,"autoDeleteThresholdSeconds":3600})");
  const std::string id = created["id"];
  EXPECT_EQ(created["notReportingThresholdSeconds"], 60);
  EXPECT_EQ(created["isDefault"], false);
  EXPECT_EQ(call("POST", "/api/reporting-rules", R"({"thresholdMultiplier":0})").status, 400);

  ASSERT_TRUE(
      registry_
          ->record_heartbeats({*parse_heartbeat(heartbeat_fixture("minimal.json"))}, clock_.now_s())
          .ok());
  EXPECT_EQ(call_json("POST", "/api/agents/reporting-rule", 200,
                      json{{"reportingRuleId", id}, {"hostname", "web-*"}}.dump())["updated"],
            1);
  EXPECT_EQ(call_json("PUT", "/api/agents/web-01/reporting-rule", 200,
                      json{{"reportingRuleId", "default"}}.dump())["updated"],
            1);
  EXPECT_EQ(call("PUT", "/api/agents/web-01/reporting-rule", R"({"reportingRuleId":"x"})").status,
            404);

  const json patched =
      call_json("PATCH", "/api/reporting-rules/" + id, 200, R"({"description":"edge gateways"})");
  EXPECT_EQ(patched["description"], "edge gateways");
  EXPECT_EQ(patched["heartbeatIntervalSeconds"], 10);
  EXPECT_EQ(call_json("POST", "/api/reporting-rules/" + id + "/default", 200)["isDefault"], true);
  EXPECT_EQ(call("DELETE", "/api/reporting-rules/" + id).status, 409);  // the default
  EXPECT_EQ(call("PATCH", "/api/reporting-rules/" + id, R"({"isDefault":false})").status, 409);
  EXPECT_EQ(call_json("GET", "/api/reporting-rules", 200)["reportingRules"].size(), 2u);
  call_json("POST", "/api/reporting-rules/default/default", 200);
  EXPECT_EQ(call("DELETE", "/api/reporting-rules/" + id).status, 204);
  EXPECT_EQ(call("GET", "/api/reporting-rules/" + id).status, 404);
}

TEST_P(FleetApiTest, ConfigsAreValidatedAsTomlOnWrite) {
  const auto bad =
      call("POST", "/api/configs", json{{"name", "x"}, {"toml", "[agent]\ninterval = \n"}}.dump());
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("line 2"), std::string::npos) << bad.body;
  EXPECT_EQ(call("POST", "/api/configs", R"({"toml":"a = 1"})").status, 400);  // no name

  const std::string id = create_config(kTemplate);
  const json stored = call_json("GET", "/api/configs/" + id, 200);
  EXPECT_EQ(stored["description"], "");
  EXPECT_EQ(stored["toml"], kTemplate);
  EXPECT_EQ(stored["parameters"].size(), 3u);
  EXPECT_EQ(stored["parameters"][0]["required"], true);
  EXPECT_EQ(call_json("GET", "/api/configs", 200)["total"], 1);
  const json updated = call_json("PUT", "/api/configs/" + id, 200, R"({"description":"gateways"})");
  EXPECT_EQ(updated["description"], "gateways");
  EXPECT_EQ(updated["toml"], kTemplate);
  EXPECT_EQ(call("PUT", "/api/configs/" + id, R"({"toml":"= nope"})").status, 400);
  EXPECT_EQ(call("DELETE", "/api/configs/" + id).status, 204);
  EXPECT_EQ(call("GET", "/api/configs/" + id + "/toml").status, 404);
}

TEST_P(FleetApiTest, TomlEndpointSubstitutesAndDatesTheConfig) {
  const std::string id = create_config(kTemplate);
  const std::string url = "/api/configs/" + id + "/toml";

  const auto missing = call("GET", url);
  EXPECT_EQ(missing.status, 400);
  EXPECT_FALSE(missing.headers.has("Last-Modified"));  // never on an error
  const json reason = json::parse(missing.body);
  EXPECT_EQ(reason["error"], "missing_parameters");
  EXPECT_EQ(reason["missing"], json::parse(R"(["agent_id","urls"])"));

  const auto ok = call("GET", url + "?agent_id=gw%2017&urls=http://a&urls=http://b&unused=1");
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(*ok.headers.get("Content-Type"), "text/x-toml; charset=utf-8");
  EXPECT_EQ(*ok.headers.get("Last-Modified"), http::http_date(clock_.now_s()));
  EXPECT_TRUE(ok.headers.has("ETag"));
  EXPECT_NE(ok.body.find("instance_id = \"gw 17\""), std::string::npos) << ok.body;
  EXPECT_NE(ok.body.find("urls = [\"http://a\", \"http://b\"]"), std::string::npos) << ok.body;
  EXPECT_NE(ok.body.find("url = \"http://parent:8000/agents/heartbeat\""), std::string::npos);

  const auto head = call("HEAD", url + "?agent_id=x&urls=y");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(*head.headers.get("Last-Modified"), *ok.headers.get("Last-Modified"));
  EXPECT_NE(*head.headers.get("ETag"), *ok.headers.get("ETag"));  // other parameters, other text

  const auto download = call("GET", url + "?agent_id=x&urls=y", "", "application/octet-stream");
  EXPECT_EQ(*download.headers.get("Content-Type"), "application/octet-stream");
  EXPECT_EQ(*download.headers.get("Content-Disposition"),
            "attachment; filename=\"edge _gw_.toml\"");
  EXPECT_EQ(call("GET", url + "?agent_id=a%0A[x]&urls=y").status, 400);
  EXPECT_EQ(call("POST", url).status, 405);
}

TEST_P(FleetApiTest, AccessNeedsTheRightToken) {
  FleetApiOptions options;
  http::HttpRequest read;
  read.method = "GET";
  read.path = "/api/agents";
  http::HttpRequest write = read;
  write.method = "DELETE";
  EXPECT_FALSE(refuse_access(options, read).has_value());  // reads open by default
  EXPECT_EQ(refuse_access(options, write)->status, 403);   // writes need a configured token

  options.admin_token = "admin-secret";
  options.read_token = "reader";
  EXPECT_EQ(refuse_access(options, read)->status, 401);
  EXPECT_NE(refuse_access(options, read)->body.find("Missing or invalid Authorization header"),
            std::string::npos);
  read.headers.set("Authorization", "Token reader");
  EXPECT_FALSE(refuse_access(options, read).has_value());
  read.headers.set("Authorization", "Bearer admin-secret");
  EXPECT_FALSE(refuse_access(options, read).has_value());
  write.headers.set("Authorization", "Bearer reader");
  EXPECT_NE(refuse_access(options, write)->body.find("Invalid token"), std::string::npos);
  write.headers.set("Authorization", "token admin-secret");
  EXPECT_FALSE(refuse_access(options, write).has_value());
}

INSTANTIATE_TEST_SUITE_P(Backends, FleetApiTest, ::testing::Values("sqlite"), backend_name);

}  // namespace
}  // namespace trib::parent::fleet
