#include "parent/query/api.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <ctime>
#include <nlohmann/json.hpp>

#include "parent/query/data_format.h"
#include "parent/query/data_request.h"
#include "tests/parent/store/store_test_util.h"

namespace trib::parent::query {
namespace {

using nlohmann::json;
using store::testing::make_chart;
using store::testing::make_host;

constexpr int64_t kNow = 1'700'000'000;
constexpr const char* kParentGuid = "11111111-1111-4111-8111-111111111111";
constexpr const char* kChildGuid = "22222222-2222-4222-8222-222222222222";
constexpr const char* kGoneGuid = "33333333-3333-4333-8333-333333333333";

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto own = make_host("parent", kParentGuid, 0);
    own.program_version = "0.1.0";
    registry_ = std::make_unique<store::HostRegistry>(own, store::StorageConfig{}, kNow - 500);
    auto child_info = make_host("child", kChildGuid, 2);
    child_info.labels = {{"_streams_to", "parent"}, {"role", "db"}};
    child_info.timezone = "Europe/Athens";
    child_ = *registry_->connect(child_info, {store::MemoryMode::ram, 3600}, kNow - 200);
    child_->set_system_info({{"os_name", "Debian GNU/Linux"}, {"cores_total", "8"}});
    ASSERT_TRUE(registry_->connect(make_host("gone", kGoneGuid), {}, kNow - 300).ok());
    registry_->disconnect(kGoneGuid, kNow - 100);

    auto cpu = make_chart("system.cpu", {"user", "system", "nice"});
    cpu.dimensions[1].name = "sys";
    cpu.priority = 100;
    cpu.chart_type = model::ChartType::stacked;
    ASSERT_TRUE(child_->define_chart(cpu).ok());
    // t = kNow-99 .. kNow: user = offset from kNow-100 (1..100), sys = 0.5, nice = -1.
    for (int64_t i = 1; i <= 100; ++i) {
      ASSERT_TRUE(
          child_->store("system.cpu", {kNow - 100 + i, {static_cast<double>(i), 0.5, -1.0}}).ok());
    }
  }

  ApiResponse get(std::string_view path, std::string_view query = "") {
    auto params = http::parse_query(query);
    EXPECT_TRUE(params.ok());
    return handle_api(*registry_, path, *params, kNow);
  }

  json get_json(std::string_view path, std::string_view query = "") {
    const ApiResponse response = get(path, query);
    EXPECT_EQ(response.status, 200) << response.body;
    EXPECT_EQ(response.content_type, "application/json");
    return json::parse(response.body);
  }

  json data(std::string_view query) {
    return get_json("/host/child/api/v1/data", "chart=system.cpu&" + std::string(query));
  }

  std::unique_ptr<store::HostRegistry> registry_;
  store::Host* child_ = nullptr;
};

TEST_F(ApiTest, InfoOfTheParentListsEveryHost) {
  const json info = get_json("/api/v1/info");
  EXPECT_EQ(info["version"], "0.1.0");
  EXPECT_EQ(info["uid"], kParentGuid);
  EXPECT_EQ(info["mirrored_hosts"], json::array({"parent", "child", "gone"}));
  ASSERT_EQ(info["mirrored_hosts_status"].size(), 3u);
  const json& own = info["mirrored_hosts_status"][0];
  EXPECT_EQ(own["guid"], kParentGuid);
  EXPECT_EQ(own["hostname"], "parent");
  EXPECT_EQ(own["reachable"], true);
  EXPECT_EQ(own["hops"], 0);
  EXPECT_TRUE(own["claim_id"].is_null());
  EXPECT_TRUE(own["node_id"].is_null());
  EXPECT_EQ(info["mirrored_hosts_status"][1]["hostname"], "child");
  EXPECT_EQ(info["mirrored_hosts_status"][1]["hops"], 2);
  // Disconnected hosts come last, unreachable.
  EXPECT_EQ(info["mirrored_hosts_status"][2]["guid"], kGoneGuid);
  EXPECT_EQ(info["mirrored_hosts_status"][2]["reachable"], false);
  EXPECT_TRUE(info["os_name"].is_null());
  EXPECT_EQ(info["memory-mode"], "ram");
  EXPECT_EQ(info["hosts-available"], 3);
  EXPECT_TRUE(info["stream-compression"].is_null());
  EXPECT_EQ(info["host_labels"], json::object());
  EXPECT_EQ(info["charts-count"], 0);
}

TEST_F(ApiTest, HostsListsHowEachHostIsReached) {
  child_->set_path({"dmz-proxy", "edge"});
  const json hosts = get_json("/api/v1/hosts")["hosts"];
  ASSERT_EQ(hosts.size(), 3u);
  const json& own = hosts[0];
  EXPECT_EQ(own["guid"], kParentGuid);
  EXPECT_EQ(own["hops"], 0);
  EXPECT_EQ(own["path"], json::array());
  EXPECT_EQ(own["reachable"], true);
  EXPECT_EQ(own["connected_since"], kNow - 500);
  EXPECT_TRUE(own["last_data"].is_null());  // nothing stored of its own
  EXPECT_TRUE(own["lag_seconds"].is_null());
  const json& child = hosts[1];
  EXPECT_EQ(child, json({{"guid", kChildGuid},
                         {"hostname", "child"},
                         {"hops", 2},
                         {"path", json::array({"dmz-proxy", "edge"})},
                         {"reachable", true},
                         {"connected_since", kNow - 200},
                         {"last_data", kNow},
                         {"lag_seconds", 0},
                         {"memory_mode", "ram"}}));
  EXPECT_EQ(hosts[2]["reachable"], false);
  // /api/v1/info's mirrored_hosts_status carries the same fields.
  const json status = get_json("/api/v1/info")["mirrored_hosts_status"][1];
  EXPECT_EQ(status["path"], json::array({"dmz-proxy", "edge"}));
  EXPECT_EQ(status["connected_since"], kNow - 200);
  EXPECT_EQ(status["last_data"], kNow);
  EXPECT_EQ(status["lag_seconds"], 0);
}

TEST_F(ApiTest, InfoOfAChildByHostnameAndGuid) {
  child_->set_stream_compression(true);
  for (const std::string& host : {std::string("child"), std::string(kChildGuid)}) {
    const json info = get_json("/host/" + host + "/api/v1/info");
    EXPECT_EQ(info["version"], "v1.37.1");
    EXPECT_EQ(info["uid"], kChildGuid);
    EXPECT_EQ(info["mirrored_hosts"].size(), 3u);
    EXPECT_EQ(info["os_name"], "Debian GNU/Linux");
    EXPECT_EQ(info["cores_total"], "8");
    EXPECT_FALSE(info.contains("kernel_name"));
    EXPECT_EQ(info["host_labels"]["_streams_to"], "parent");
    EXPECT_EQ(info["host_labels"]["role"], "db");
    EXPECT_EQ(info["collectors"], json::parse(R"([{"plugin":"proc","module":"/proc/stat"}])"));
    EXPECT_EQ(info["stream-compression"], true);
    EXPECT_EQ(info["charts-count"], 1);
    EXPECT_EQ(info["metrics-count"], 3);
  }
}

TEST_F(ApiTest, ChartsListsChartsAndHosts) {
  const json charts = get_json("/host/child/api/v1/charts");
  EXPECT_EQ(charts["hostname"], "child");
  EXPECT_EQ(charts["version"], "v1.37.1");
  EXPECT_EQ(charts["release_channel"], "stable");
  EXPECT_EQ(charts["os"], "linux");
  EXPECT_EQ(charts["timezone"], "Europe/Athens");
  EXPECT_EQ(charts["update_every"], 1);
  EXPECT_EQ(charts["history"], 3600);
  EXPECT_EQ(charts["memory_mode"], "ram");
  EXPECT_EQ(charts["custom_info"], "");
  EXPECT_EQ(charts["charts_count"], 1);
  EXPECT_EQ(charts["dimensions_count"], 3);
  EXPECT_EQ(charts["alarms_count"], 0);
  EXPECT_GT(charts["rrd_memory_bytes"].get<int64_t>(), 3 * 3600 * 4);
  EXPECT_EQ(charts["hosts_count"], 3);
  EXPECT_EQ(charts["hosts"], json::parse(R"([{"hostname":"parent"},{"hostname":"child"},
                                             {"hostname":"gone"}])"));
  const json& cpu = charts["charts"]["system.cpu"];
  EXPECT_EQ(cpu["id"], "system.cpu");
  EXPECT_EQ(cpu["name"], "system.cpu");
  EXPECT_EQ(cpu["type"], "system");
  EXPECT_EQ(cpu["family"], "cpu");
  EXPECT_EQ(cpu["context"], "system.cpu");
  EXPECT_EQ(cpu["title"], "Title of system.cpu (system.cpu)");
  EXPECT_EQ(cpu["priority"], 100);
  EXPECT_EQ(cpu["plugin"], "proc");
  EXPECT_EQ(cpu["module"], "/proc/stat");
  EXPECT_EQ(cpu["enabled"], true);
  EXPECT_EQ(cpu["units"], "percentage");
  EXPECT_EQ(cpu["data_url"], "/api/v1/data?chart=system.cpu");
  EXPECT_EQ(cpu["chart_type"], "stacked");
  EXPECT_EQ(cpu["duration"], 100);
  EXPECT_EQ(cpu["first_entry"], kNow - 99);
  EXPECT_EQ(cpu["last_entry"], kNow);
  EXPECT_EQ(cpu["update_every"], 1);
  EXPECT_EQ(
      cpu["dimensions"],
      json::parse(R"({"user":{"name":"user"},"system":{"name":"sys"},"nice":{"name":"nice"}})"));
}

TEST_F(ApiTest, ChartEndpointAndItsErrors) {
  const json cpu = get_json("/host/child/api/v1/chart", "chart=system.cpu");
  EXPECT_EQ(cpu["id"], "system.cpu");
  EXPECT_EQ(cpu["last_entry"], kNow);
  auto missing = get("/host/child/api/v1/chart", "chart=system.nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body, "Chart is not found: system.nope");
  EXPECT_EQ(get("/host/child/api/v1/chart").status, 400);
  // The parent's own host has no charts yet.
  EXPECT_EQ(get("/api/v1/chart", "chart=system.cpu").status, 404);
}

TEST_F(ApiTest, DataJsonRelativeAfterNewestFirst) {
  const json d = data("after=-10");
  EXPECT_EQ(d["labels"], json::array({"time", "user", "sys", "nice"}));
  ASSERT_EQ(d["data"].size(), 10u);
  EXPECT_EQ(d["data"][0], json::array({kNow, 100, 0.5, -1}));
  EXPECT_EQ(d["data"][9], json::array({kNow - 9, 91, 0.5, -1}));
  // Default window: the last 600 s, clamped to the 100 s stored.
  EXPECT_EQ(data("")["data"].size(), 100u);
}

TEST_F(ApiTest, DataRelativeBeforeAndAbsoluteWindow) {
  const json rel = data("after=-5&before=-10");
  ASSERT_EQ(rel["data"].size(), 5u);
  EXPECT_EQ(rel["data"][0][0], kNow - 10);
  EXPECT_EQ(rel["data"][4][0], kNow - 14);
  const json abs =
      data("after=" + std::to_string(kNow - 50) + "&before=" + std::to_string(kNow - 48));
  ASSERT_EQ(abs["data"].size(), 3u);
  EXPECT_EQ(abs["data"][0], json::array({kNow - 48, 52, 0.5, -1}));
  EXPECT_EQ(abs["data"][2], json::array({kNow - 50, 50, 0.5, -1}));
  // A window outside what is stored has no rows.
  EXPECT_EQ(data("after=1000&before=2000")["data"].size(), 0u);
}

TEST_F(ApiTest, DataFlipPutsOldestFirst) {
  const json d = data("after=-3&options=flip");
  ASSERT_EQ(d["data"].size(), 3u);
  EXPECT_EQ(d["data"][0][0], kNow - 2);
  EXPECT_EQ(d["data"][2][0], kNow);
}

TEST_F(ApiTest, DataGapsAndNaNAreNull) {
  ASSERT_TRUE(child_->store("system.cpu", {kNow + 3, {7.0, model::kNoValue, 1.0}}).ok());
  const auto response =
      handle_api(*registry_, "/host/child/api/v1/data",
                 *http::parse_query("chart=system.cpu&after=-4&options=flip"), kNow + 3);
  const json d = json::parse(response.body);
  ASSERT_EQ(d["data"].size(), 4u);
  EXPECT_EQ(d["data"][0], json::array({kNow, 100, 0.5, -1}));
  EXPECT_EQ(d["data"][1], json::array({kNow + 1, nullptr, nullptr, nullptr}));
  EXPECT_EQ(d["data"][2], json::array({kNow + 2, nullptr, nullptr, nullptr}));
  EXPECT_EQ(d["data"][3], json::array({kNow + 3, 7, nullptr, 1}));
  const json zero = json::parse(handle_api(*registry_, "/host/child/api/v1/data",
                                           *http::parse_query("chart=system.cpu&after=-2&"
                                                              "options=null2zero"),
                                           kNow + 3)
                                    .body);
  EXPECT_EQ(zero["data"][0], json::array({kNow + 3, 7, 0, 1}));
}

TEST_F(ApiTest, DataPointsGroupWithEachMethod) {
  // 10 slots (user 91..100) into 3 points: groups of 4 from the newest: [97..100], [93..96],
  // and the shorter oldest [91, 92].
  const json avg = data("after=-10&points=3&dimensions=user");
  ASSERT_EQ(avg["data"].size(), 3u);
  EXPECT_EQ(avg["data"][0], json::array({kNow, 98.5}));
  EXPECT_EQ(avg["data"][1], json::array({kNow - 4, 94.5}));
  EXPECT_EQ(avg["data"][2], json::array({kNow - 8, 91.5}));
  const json mn = data("after=-10&points=3&dimensions=user&group=min");
  EXPECT_EQ(mn["data"][0][1], 97);
  EXPECT_EQ(mn["data"][2][1], 91);
  const json mx = data("after=-10&points=3&dimensions=user&group=max");
  EXPECT_EQ(mx["data"][0][1], 100);
  EXPECT_EQ(mx["data"][1][1], 96);
  const json sum = data("after=-10&points=3&dimensions=user&group=sum");
  EXPECT_EQ(sum["data"][0][1], 97 + 98 + 99 + 100);
  EXPECT_EQ(sum["data"][2][1], 91 + 92);
  // More points than slots: one point per slot.
  EXPECT_EQ(data("after=-10&points=50")["data"].size(), 10u);
}

TEST_F(ApiTest, DataDimensionsFilterByIdNameAndWildcard) {
  EXPECT_EQ(data("after=-1&dimensions=system")["labels"], json::array({"time", "sys"}));
  EXPECT_EQ(data("after=-1&dimensions=sys")["labels"], json::array({"time", "sys"}));
  EXPECT_EQ(data("after=-1&dimensions=nice|user")["labels"], json::array({"time", "user", "nice"}));
  EXPECT_EQ(data("after=-1&dimensions=user,nice")["labels"], json::array({"time", "user", "nice"}));
  EXPECT_EQ(data("after=-1&dimensions=n*")["labels"], json::array({"time", "nice"}));
  const json none = data("after=-1&dimensions=nothing");
  EXPECT_EQ(none["labels"], json::array({"time", "no data"}));
  EXPECT_EQ(none["data"], json::array());
}

TEST_F(ApiTest, DataAbsoluteAndNonzeroOptions) {
  EXPECT_EQ(data("after=-1&options=abs")["data"][0], json::array({kNow, 100, 0.5, 1}));
  ASSERT_TRUE(child_->define_chart(make_chart("system.io", {"in", "out"})).ok());
  ASSERT_TRUE(child_->store("system.io", {kNow, {0.0, 5.0}}).ok());
  const json d = get_json("/host/child/api/v1/data", "chart=system.io&options=nonzero");
  EXPECT_EQ(d["labels"], json::array({"time", "out"}));
}

TEST_F(ApiTest, DataCsv) {
  const auto response =
      get("/host/child/api/v1/data", "chart=system.cpu&after=-2&format=csv&options=seconds");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "text/plain; charset=utf-8");
  const std::string t0 = std::to_string(kNow), t1 = std::to_string(kNow - 1);
  EXPECT_EQ(response.body,
            "time,user,sys,nice\r\n" + t0 + ",100,0.5,-1\r\n" + t1 + ",99,0.5,-1\r\n");
  const auto ms =
      get("/host/child/api/v1/data", "chart=system.cpu&after=-1&format=csv&options=ms|flip");
  EXPECT_EQ(ms.body, "time,user,sys,nice\r\n" + t0 + "000,100,0.5,-1\r\n");

  // Without seconds/ms, times are local dates as Netdata prints them.
  const auto dated = get("/host/child/api/v1/data", "chart=system.cpu&after=-1&format=csv");
  const auto tt = static_cast<time_t>(kNow);
  struct tm tm {};
  localtime_r(&tt, &tm);
  char expected[32];
  std::strftime(expected, sizeof(expected), "%Y-%m-%d %H:%M:%S", &tm);
  EXPECT_EQ(dated.body, "time,user,sys,nice\r\n" + std::string(expected) + ",100,0.5,-1\r\n");
}

TEST_F(ApiTest, DataJsonwrap) {
  const json w = data("after=-10&points=5&options=jsonwrap&dimensions=user|nice");
  EXPECT_EQ(w["api"], 1);
  EXPECT_EQ(w["id"], "system.cpu");
  EXPECT_EQ(w["name"], "system.cpu");
  EXPECT_EQ(w["view_update_every"], 2);
  EXPECT_EQ(w["update_every"], 1);
  EXPECT_EQ(w["first_entry"], kNow - 99);
  EXPECT_EQ(w["last_entry"], kNow);
  EXPECT_EQ(w["before"], kNow);
  EXPECT_EQ(w["after"], kNow - 9);
  EXPECT_EQ(w["group"], "average");
  EXPECT_EQ(w["options"], "jsonwrap");
  EXPECT_EQ(w["dimension_names"], json::array({"user", "nice"}));
  EXPECT_EQ(w["dimension_ids"], json::array({"user", "nice"}));
  EXPECT_EQ(w["latest_values"], json::array({100, -1}));
  EXPECT_EQ(w["view_latest_values"], json::array({99.5, -1}));
  EXPECT_EQ(w["dimensions"], 2);
  EXPECT_EQ(w["points"], 5);
  EXPECT_EQ(w["format"], "json");
  EXPECT_EQ(w["db_points_per_tier"], json::array({20}));
  EXPECT_EQ(w["result"]["labels"], json::array({"time", "user", "nice"}));
  EXPECT_EQ(w["result"]["data"].size(), 5u);
  EXPECT_EQ(w["min"], -1);
  EXPECT_EQ(w["max"], 99.5);

  const json csv = data("after=-1&format=csv&options=jsonwrap,seconds");
  EXPECT_EQ(csv["format"], "csv");
  EXPECT_EQ(csv["result"], "time,user,sys,nice\r\n" + std::to_string(kNow) + ",100,0.5,-1\r\n");
}

TEST_F(ApiTest, DataErrorsAre400Or404) {
  auto bad = [&](std::string_view query) {
    const auto r = get("/host/child/api/v1/data", query);
    EXPECT_EQ(r.status, 400) << query;
    return r.body;
  };
  EXPECT_EQ(bad("after=-10"), "No chart id is given at the request.");
  EXPECT_EQ(bad("chart=system.cpu&after=ten"), "Invalid value for parameter 'after': 'ten'");
  EXPECT_NE(bad("chart=system.cpu&group=median").find("median"), std::string::npos);
  EXPECT_NE(bad("chart=system.cpu&format=xml").find("xml"), std::string::npos);
  bad("chart=system.cpu&points=-1");
  bad("chart=system.cpu&after=1700000010&before=1700000000");
  const auto missing = get("/host/child/api/v1/data", "chart=nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body, "Chart is not found: nope");
}

TEST_F(ApiTest, EveryDataParameterIsCheckedAndNamedInThe400) {
  auto bad = [&](const std::string& query, const std::string& names) {
    const auto r = get("/host/child/api/v1/data", "chart=system.cpu&" + query);
    EXPECT_EQ(r.status, 400) << query;
    EXPECT_NE(r.body.find(names), std::string::npos) << query << ": " << r.body;
  };
  for (const std::string number : {"after", "before", "points"}) {
    bad(number + "=ten", "'" + number + "'");
    bad(number + "=1.5", "'" + number + "'");
    bad(number + "=10abc", "'" + number + "'");
    bad(number + "=%2010", "'" + number + "'");
    bad(number + "=99999999999999999999", "'" + number + "'");  // beyond int64
  }
  bad("points=-1", "'points'");
  for (const std::string group : {"median", "stddev", "incremental_sum", "AVERAGE"}) {
    bad("group=" + group, "Unsupported group method '" + group + "'");
  }
  for (const std::string format : {"xml", "jsonp", "tsv", "datatable", "JSON"}) {
    bad("format=" + format, "Unsupported format '" + format + "'");
  }
  bad("after=1700000100&before=-50", "Invalid time window");
  // Netdata's own leniency stays: empty values and unknown names or options are skipped.
  for (const std::string ok :
       {"after=&before=&points=&group=&format=&options=", "options=bogus,flip", "tier=1&gtime=0"}) {
    EXPECT_EQ(get("/host/child/api/v1/data", "chart=system.cpu&" + ok).status, 200) << ok;
  }
}

TEST_F(ApiTest, HostRouting) {
  const auto redirect = get("/host/child");
  EXPECT_EQ(redirect.status, 308);
  EXPECT_EQ(redirect.location, "/host/child/");
  const auto unknown = get("/host/nobody/api/v1/info");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.body, "This netdata does not maintain a database for host: nobody");
  EXPECT_EQ(get("/host/child/host/parent/api/v1/info").status, 400);
  EXPECT_EQ(get("/host/child/host").status, 400);
  const auto unsupported = get("/host/child/api/v1/bogus");
  EXPECT_EQ(unsupported.status, 404);
  EXPECT_EQ(unsupported.body, "Unsupported v1 API command: bogus");
  EXPECT_EQ(get("/api/v2/info").status, 404);
  EXPECT_EQ(get("/host/").status, 404);
  EXPECT_EQ(get("/host//api/v1/info").status, 404);
}

TEST_F(ApiTest, MemoryModeNoneHostHasChartsButNoData) {
  auto proxy = registry_->connect(make_host("proxy", "44444444-4444-4444-8444-444444444444"),
                                  {store::MemoryMode::none, 3600}, kNow);
  ASSERT_TRUE(proxy.ok());
  ASSERT_TRUE((*proxy)->define_chart(make_chart("system.cpu", {"user"})).ok());
  ASSERT_TRUE((*proxy)->store("system.cpu", {kNow, {1.0}}).ok());
  const json charts = get_json("/host/proxy/api/v1/charts");
  EXPECT_EQ(charts["memory_mode"], "none");
  EXPECT_EQ(charts["charts"]["system.cpu"]["last_entry"], 0);
  const json d = get_json("/host/proxy/api/v1/data", "chart=system.cpu");
  EXPECT_EQ(d["labels"], json::array({"time", "user"}));
  EXPECT_EQ(d["data"], json::array());
}

TEST_F(ApiTest, OneHourTenDimensionQueryReturnsEveryPoint) {
  // Its speed is measured by tests/bench/query_bench.cpp, not here.
  std::vector<std::string> dims;
  for (int i = 0; i < 10; ++i) dims.push_back("d" + std::to_string(i));
  ASSERT_TRUE(child_->define_chart(make_chart("big.chart", dims)).ok());
  std::vector<double> values(10);
  for (int64_t t = kNow - 3599; t <= kNow; ++t) {
    for (size_t i = 0; i < values.size(); ++i)
      values[i] = static_cast<double>(t % 1000) / 7.0 + static_cast<double>(i);
    ASSERT_TRUE(child_->store("big.chart", {t, values}).ok());
  }
  auto params = *http::parse_query("chart=big.chart&after=-3600&options=jsonwrap");
  const ApiResponse response = handle_api(*registry_, "/host/child/api/v1/data", params, kNow);
  ASSERT_EQ(response.status, 200);
  const json body = json::parse(response.body);
  EXPECT_EQ(body["points"], 3600);
  EXPECT_EQ(body["result"]["data"].size(), 3600U);
}

TEST(DataFormatTest, NumbersFollowNetdataStyle) {
  auto fmt = [](double v) {
    std::string s;
    append_number(s, v);
    return s;
  };
  EXPECT_EQ(fmt(100), "100");
  EXPECT_EQ(fmt(-1), "-1");
  EXPECT_EQ(fmt(0.5), "0.5");
  EXPECT_EQ(fmt(1.0 / 3), "0.3333333");
  EXPECT_EQ(fmt(-0.00000001), "0");
  EXPECT_EQ(fmt(std::nan("")), "null");
  EXPECT_EQ(fmt(1e20), "1e+20");
  std::string s;
  append_json_string(s, "a\"b\\c\n\x01");
  EXPECT_EQ(s, R"("a\"b\\c\n\u0001")");
}

TEST(DataRequestTest, WildcardsAndDefaults) {
  EXPECT_TRUE(wildcard_match("*", "anything"));
  EXPECT_TRUE(wildcard_match("a*c", "abbbc"));
  EXPECT_TRUE(wildcard_match("*c", "c"));
  EXPECT_FALSE(wildcard_match("a*c", "abcd"));
  EXPECT_FALSE(wildcard_match("abc", "ab"));
  auto request = parse_data_request(*http::parse_query("chart=x"));
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(request->after, -600);
  EXPECT_EQ(request->before, 0);
  EXPECT_EQ(request->points, 0);
  EXPECT_EQ(request->group, GroupMethod::average);
  EXPECT_EQ(request->format, DataFormat::json);
  auto opts = parse_data_request(*http::parse_query("chart=x&options=flip%7Cjsonwrap%20ms"));
  EXPECT_TRUE(opts->options.flip);
  EXPECT_TRUE(opts->options.jsonwrap);
  EXPECT_TRUE(opts->options.milliseconds);
}

}  // namespace
}  // namespace trib::parent::query
