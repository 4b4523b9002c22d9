#include "parent/health/health_api.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/time/clock.h"
#include "parent/health/rule_loader.h"
#include "tests/parent/store/store_test_util.h"
#include "tests/support/loop_fixture.h"
#include "tests/support/process.h"

namespace trib::parent::health {
namespace {

using store::testing::make_chart;
using store::testing::make_host;

constexpr const char* kChildGuid = "22222222-2222-4222-8222-222222222222";
constexpr const char* kToken = "s3cret-admin";

class HealthApiTest : public test::LoopTest {
 protected:
  HealthApiTest() {
    service_ = std::make_unique<HealthService>(loop_, registry_, clock_, HealthOptions{});
    const RuleSet set = parse_rules(R"(alarms:
  - name: cpu_usage
    on: system.cpu
    lookup: average -5s of user
    every: 1s
    warn: $this > 50
    units: '%'
    info: CPU
  - name: quiet
    on: system.cpu
    calc: 0
    every: 1s
    warn: $this > 1
)",
                                    "api.yaml");
    service_->set_rules(set);
    auto host = registry_.connect(make_host("web-1", kChildGuid), storage_, clock_.now_s());
    child_ = *host;
    EXPECT_TRUE(child_->define_chart(make_chart("system.cpu", {"user"})).ok());
    for (int i = 0; i < 6; ++i) {
      clock_.advance_s(1);
      model::ChartSample s;
      s.timestamp = clock_.now_s();
      s.values = {90};
      EXPECT_TRUE(child_->store("system.cpu", s).ok());
      service_->run_once();
    }
  }

  query::ApiResponse get(const std::string& path, http::QueryParams query = {},
                         std::string token = "") {
    http::HttpRequest request;
    request.method = "GET";
    request.path = path;
    request.query = std::move(query);
    if (!token.empty()) request.headers.set("X-Auth-Token", token);
    auto answer = handle_health_api(*service_, registry_, request, kToken, clock_.now_s());
    EXPECT_TRUE(answer.has_value()) << path;
    return answer.value_or(query::ApiResponse{});
  }

  time::ManualClock clock_;
  store::StorageConfig storage_{store::MemoryMode::ram, 60};
  store::HostRegistry registry_{make_host("parent", "11111111-1111-4111-8111-111111111111", 0),
                                storage_, clock_.now_s()};
  store::Host* child_ = nullptr;
  std::unique_ptr<HealthService> service_;
};

TEST_F(HealthApiTest, AlarmsListsRaisedOnesOrAll) {
  const auto raised = get("/host/web-1/api/v1/alarms");
  ASSERT_EQ(raised.status, 200);
  const auto j = nlohmann::json::parse(raised.body);
  EXPECT_EQ(j["hostname"], "web-1");
  EXPECT_EQ(j["status"], true);
  EXPECT_EQ(j["now"], clock_.now_s());
  ASSERT_EQ(j["alarms"].size(), 1u);
  const auto& a = j["alarms"]["system.cpu.cpu_usage"];
  EXPECT_EQ(a["status"], "WARNING");
  EXPECT_EQ(a["value"], 90);
  EXPECT_EQ(a["value_string"], "90.00 %");
  EXPECT_EQ(a["lookup_method"], "average");
  EXPECT_EQ(a["lookup_after"], -5);
  EXPECT_EQ(a["lookup_dimensions"], "user");
  EXPECT_EQ(a["warn"], "$this > 50");
  EXPECT_EQ(a["warn_parsed"], "(${this} > 50)");
  EXPECT_EQ(a["source"], "api.yaml:2");

  const auto all = nlohmann::json::parse(
      get("/host/" + std::string(kChildGuid) + "/api/v1/alarms", {{"all", ""}}).body);
  EXPECT_EQ(all["alarms"].size(), 3u);
  EXPECT_EQ(all["alarms"]["system.cpu.quiet"]["status"], "CLEAR");
  EXPECT_EQ(all["alarms"]["host.last_collected"]["status"], "CLEAR");  // built in
  // The parent's own host has no system.cpu chart here: nothing.
  EXPECT_TRUE(nlohmann::json::parse(get("/api/v1/alarms").body)["alarms"].empty());
}

TEST_F(HealthApiTest, AlarmLogAfterAnId) {
  const auto log = nlohmann::json::parse(get("/host/web-1/api/v1/alarm_log").body);
  // cpu_usage: UNINITIALIZED -> WARNING, quiet and host.last_collected: -> CLEAR
  ASSERT_EQ(log.size(), 3u);
  EXPECT_GT(log[0]["unique_id"], log[1]["unique_id"]);  // newest first
  const uint64_t newest = log[0]["unique_id"];
  EXPECT_TRUE(nlohmann::json::parse(
                  get("/host/web-1/api/v1/alarm_log", {{"after", std::to_string(newest)}}).body)
                  .empty());
  const auto after_first = nlohmann::json::parse(
      get("/host/web-1/api/v1/alarm_log", {{"after", std::to_string(newest - 1)}}).body);
  ASSERT_EQ(after_first.size(), 1u);
  EXPECT_EQ(after_first[0]["hostname"], "web-1");
  EXPECT_EQ(get("/api/v1/alarm_log", {{"after", "x"}}).status, 400);
}

TEST_F(HealthApiTest, ManageHealthNeedsTheAdminToken) {
  EXPECT_EQ(get("/api/v1/manage/health", {{"cmd", "SILENCE ALL"}}).status, 403);
  EXPECT_EQ(get("/api/v1/manage/health", {{"cmd", "SILENCE ALL"}}, "wrong").status, 403);
  const auto silenced = get("/api/v1/manage/health", {{"cmd", "SILENCE ALL"}}, kToken);
  EXPECT_EQ(silenced.status, 200);
  EXPECT_EQ(silenced.body, "All alarm notifications are silenced");
  auto all = nlohmann::json::parse(get("/host/web-1/api/v1/alarms", {{"all", ""}}).body);
  EXPECT_EQ(all["alarms"]["system.cpu.cpu_usage"]["silenced"], true);

  EXPECT_EQ(get("/api/v1/manage/health", {{"cmd", "RESET"}}, kToken).status, 200);
  const auto disable =
      get("/api/v1/manage/health", {{"cmd", "DISABLE"}, {"alarm", "quiet"}}, kToken);
  EXPECT_EQ(disable.body,
            "Health checks disabled for alarms matching the selectors\nAlarm selector added");
  all = nlohmann::json::parse(get("/host/web-1/api/v1/alarms", {{"all", ""}}).body);
  EXPECT_EQ(all["alarms"]["system.cpu.quiet"]["disabled"], true);
  EXPECT_EQ(all["alarms"]["system.cpu.cpu_usage"]["disabled"], false);
  const auto list =
      nlohmann::json::parse(get("/api/v1/manage/health", {{"cmd", "LIST"}}, kToken).body);
  EXPECT_EQ(list["type"], "DISABLE");
  EXPECT_EQ(list["silencers"][0]["alarm"], "quiet");
  EXPECT_EQ(get("/api/v1/manage/health", {{"cmd", "EXPLODE"}}, kToken).status, 400);
}

TEST_F(HealthApiTest, ManageHealthSilencersAreSavedAndRestored) {
  test::TempDir dir;
  const std::string path = dir / "health/health.silencers.json";
  ASSERT_TRUE(service_->keep_silencers_in(path).ok());
  EXPECT_EQ(get("/api/v1/manage/health", {{"cmd", "SILENCE"}, {"host", "web-*"}}, kToken).status,
            200);
  const auto saved = nlohmann::json::parse(test::read_file(path));
  EXPECT_EQ(saved["type"], "SILENCE");
  EXPECT_EQ(saved["silencers"][0]["host"], "web-*");

  // The restarted parent: a new service over the same data dir.
  service_ = std::make_unique<HealthService>(loop_, registry_, clock_, HealthOptions{});
  ASSERT_TRUE(service_->keep_silencers_in(path).ok());
  const auto list =
      nlohmann::json::parse(get("/api/v1/manage/health", {{"cmd", "LIST"}}, kToken).body);
  EXPECT_EQ(list["type"], "SILENCE");
  EXPECT_EQ(list["silencers"][0]["host"], "web-*");

  EXPECT_EQ(get("/api/v1/manage/health", {{"cmd", "RESET"}}, kToken).status, 200);
  EXPECT_EQ(nlohmann::json::parse(test::read_file(path))["silencers"].size(), 0u);

  // A selector that is not UTF-8 is saved and listed with its bad bytes replaced.
  EXPECT_EQ(get("/api/v1/manage/health", {{"cmd", "SILENCE"}, {"host", "web-\xff"}}, kToken).status,
            200);
  EXPECT_EQ(nlohmann::json::parse(test::read_file(path))["silencers"][0]["host"],
            "web-\xef\xbf\xbd");
  EXPECT_EQ(get("/api/v1/manage/health", {{"cmd", "LIST"}}, kToken).status, 200);
}

TEST_F(HealthApiTest, ManageHealthSaysWhenSilencersCannotBeSaved) {
  test::TempDir dir;
  test::write_file(dir / "health", "a file where the directory should be");
  ASSERT_TRUE(service_->keep_silencers_in(dir / "health/health.silencers.json").ok());
  const auto answer = get("/api/v1/manage/health", {{"cmd", "SILENCE ALL"}}, kToken);
  EXPECT_EQ(answer.status, 500);
  EXPECT_NE(answer.body.find("All alarm notifications are silenced\nbut it applies only until "
                             "the parent restarts: cannot create the directory of " +
                             dir / "health/health.silencers.json"),
            std::string::npos)
      << answer.body;
  const auto all = nlohmann::json::parse(get("/host/web-1/api/v1/alarms", {{"all", ""}}).body);
  EXPECT_EQ(all["alarms"]["system.cpu.cpu_usage"]["silenced"], true);  // applied all the same
}

TEST_F(HealthApiTest, OtherPathsAreNotOurs) {
  http::HttpRequest request;
  request.path = "/api/v1/data";
  EXPECT_FALSE(handle_health_api(*service_, registry_, request, kToken, 0).has_value());
  request.path = "/host/nobody/api/v1/alarms";
  EXPECT_FALSE(handle_health_api(*service_, registry_, request, kToken, 0).has_value());
}

}  // namespace
}  // namespace trib::parent::health
