#include "parent/query/logs_api.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "parent/query/api.h"
#include "support/process.h"

namespace trib::parent::query {
namespace {

constexpr const char* kGuid = "aaaaaaaa-0000-4000-8000-0000000000a1";

class LogsApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store = std::move(store::LogStore::open({.path = dir / "logs"})).value();
    stream::LogsMsg msg{0, 1, {{"/var/log/app.log", {{"service", "app"}}}}, {}};
    msg.records.push_back({0, 1, 0, 1'700'000'000'000, 0, "GET /index \xff", {}});
    msg.records.push_back({0, 1, 20, 1'700'000'100'000, stream::kLogLineContinues, "POST", {}});
    ASSERT_TRUE(store->append(kGuid, msg).ok());
    ASSERT_TRUE(
        store
            ->append_gaps(
                kGuid,
                {0, 2, {{"/var/log/app.log", 1, 30, 40, 1'700'000'050'000, "spool full"}}, {}})
            .ok());
  }
  ApiResponse get(http::QueryParams params, int64_t now_s = 1'700'000'200) {
    return logs_endpoint(store.get(), kGuid, params, now_s);
  }

  test::TempDir dir;
  std::unique_ptr<store::LogStore> store;
};

TEST_F(LogsApiTest, ExactShape) {
  const auto response = get({});
  ASSERT_EQ(response.status, 200) << response.body;
  const auto json = nlohmann::json::parse(response.body);
  ASSERT_EQ(json["records"].size(), 2U);
  const auto& first = json["records"][0];
  EXPECT_EQ(first["time"], 1'700'000'000'000);
  EXPECT_EQ(first["source"], "/var/log/app.log");
  EXPECT_EQ(first["generation"], 1);
  EXPECT_EQ(first["offset"], 0);
  EXPECT_EQ(first["line"], "GET /index \xEF\xBF\xBD");  // invalid UTF-8 shown as U+FFFD
  EXPECT_EQ(first["attributes"], nlohmann::json({{"service", "app"}}));
  EXPECT_EQ(json["records"][1]["attributes"]["_split"], "continues");
  ASSERT_EQ(json["gaps"].size(), 1U);
  EXPECT_EQ(json["gaps"][0], nlohmann::json({{"source", "/var/log/app.log"},
                                             {"generation", 1},
                                             {"from", 30},
                                             {"to", 40},
                                             {"reason", "spool full"}}));
  EXPECT_TRUE(json["next_cursor"].is_string());
  // The documented key order.
  const auto ordered = nlohmann::ordered_json::parse(response.body);
  std::vector<std::string> keys;
  for (const auto& [key, value] : ordered.items()) keys.push_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{"records", "gaps", "next_cursor"}));
  keys.clear();
  for (const auto& [key, value] : ordered["records"][0].items()) keys.push_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{"time", "source", "generation", "offset", "line",
                                            "attributes"}));
}

TEST_F(LogsApiTest, RelativeTimesLimitsAndErrors) {
  // after=-150: since 1'700'000'050 s, so only the second record and the gap.
  auto json = nlohmann::json::parse(get({{"after", "-150"}}).body);
  EXPECT_EQ(json["records"].size(), 1U);
  json = nlohmann::json::parse(get({{"before", "1700000050"}, {"limit", "1"}}).body);
  EXPECT_EQ(json["records"].size(), 1U);
  EXPECT_EQ(get({{"limit", "10001"}}).status, 400);
  EXPECT_EQ(get({{"limit", "x"}}).status, 400);
  EXPECT_EQ(get({{"regex", "("}}).status, 400);
  EXPECT_EQ(get({{"cursor", "nope"}}).status, 400);
  json = nlohmann::json::parse(get({{"regex", "^P"}}).body);
  ASSERT_EQ(json["records"].size(), 1U);
  EXPECT_EQ(json["records"][0]["line"], "POST");
  EXPECT_EQ(logs_endpoint(nullptr, kGuid, {}, 0).status, 404);
}

TEST_F(LogsApiTest, MetricGapsOverlappingTheWindow) {
  stream::GapsMsg gaps{0, 3, {}, {}};
  gaps.metric_gaps.push_back({1'700'000'000, 1'700'000'010, 1'700'000'100'000, "proxy spool full"});
  gaps.metric_gaps.push_back({1'700'000'010, 1'700'000'020, 1'700'000'100'000, "proxy spool full"});
  ASSERT_TRUE(store->append_gaps(kGuid, gaps).ok());
  const auto response = gaps_endpoint(store.get(), kGuid, {}, 1'700'000'200);
  ASSERT_EQ(response.status, 200) << response.body;
  auto json = nlohmann::json::parse(response.body);
  ASSERT_EQ(json["metric_gaps"].size(), 2U);
  EXPECT_EQ(json["metric_gaps"][0], nlohmann::json({{"from", 1'700'000'000},
                                                    {"to", 1'700'000'010},
                                                    {"time", 1'700'000'100'000},
                                                    {"reason", "proxy spool full"}}));
  // [after, before): the first ends where the window starts, so only the second overlaps it.
  json = nlohmann::json::parse(
      gaps_endpoint(store.get(), kGuid, {{"after", "1700000010"}, {"before", "1700000011"}}, 0)
          .body);
  ASSERT_EQ(json["metric_gaps"].size(), 1U);
  EXPECT_EQ(json["metric_gaps"][0]["from"], 1'700'000'010);
  EXPECT_EQ(gaps_endpoint(store.get(), kGuid, {{"limit", "0"}}, 0).status, 400);
  EXPECT_EQ(gaps_endpoint(nullptr, kGuid, {}, 0).status, 404);
}

}  // namespace
}  // namespace trib::parent::query
