#include "parent/query/allmetrics.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "parent/query/api.h"
#include "tests/parent/store/store_test_util.h"

namespace trib::parent::query {
namespace {

using nlohmann::json;
using store::testing::make_chart;
using store::testing::make_host;

constexpr int64_t kNow = 1'700'000'000;
constexpr const char* kParentGuid = "11111111-1111-4111-8111-111111111111";
constexpr const char* kChildGuid = "22222222-2222-4222-8222-222222222222";

class AllmetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto own = make_host("parent", kParentGuid, 0);
    own.program_name = "tributary";
    own.program_version = "0.1.0";
    registry_ = std::make_unique<store::HostRegistry>(own, store::StorageConfig{}, kNow - 500);
    auto child_info = make_host("web \"01\"", kChildGuid, 1);
    child_info.program_name = "netdata";
    child_info.labels = {{"_automatic", "x"}, {"role", "db\\primary"}, {"9zone", "eu"}};
    child_ = *registry_->connect(child_info, {store::MemoryMode::ram, 3600}, kNow - 200);

    auto cpu = make_chart("system.cpu", {"user", "system"});
    cpu.dimensions[1].name = "sys";
    cpu.units = "percentage";
    ASSERT_TRUE(child_->define_chart(cpu).ok());
    auto net = make_chart("net.eth0", {"received", "sent"});
    net.name = "net.eth-0";
    net.context = "net.net";
    net.family = "eth0";
    net.units = "kilobits/s";
    net.dimensions[1].multiplier = -8;
    ASSERT_TRUE(child_->define_chart(net).ok());
    // t = kNow-59 .. kNow: user = i, sys = 0.25, received = 10, sent = -4.6
    for (int64_t i = 1; i <= 60; ++i) {
      const int64_t t = kNow - 60 + i;
      ASSERT_TRUE(child_->store("system.cpu", {t, {static_cast<double>(i), 0.25}}).ok());
      ASSERT_TRUE(child_->store("net.eth0", {t, {10.0, -4.6}}).ok());
    }
  }

  // The child's hostname has a quote and a space: label values must escape it.
  ApiResponse get(std::string_view query,
                  std::string_view path = "/host/web \"01\"/api/v1/allmetrics") {
    auto params = http::parse_query(query);
    EXPECT_TRUE(params.ok());
    ApiServices services;
    services.scrapes = &scrapes_;
    services.client = "10.0.0.9";
    return handle_api(*registry_, path, *params, now_, services);
  }

  std::unique_ptr<store::HostRegistry> registry_;
  store::Host* child_ = nullptr;
  ScrapeHistory scrapes_;
  int64_t now_ = kNow;
};

TEST_F(AllmetricsTest, ShellIsNetdatasDefault) {
  const auto r = get("");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(r.body,
            "\n# chart: system.cpu (name: system.cpu)\n"
            "NETDATA_SYSTEM_CPU_USER=\"60\"      # percentage\n"
            "NETDATA_SYSTEM_CPU_SYS=\"0\"      # percentage\n"
            "NETDATA_SYSTEM_CPU_VISIBLETOTAL=\"60\"      # percentage\n"
            "\n# chart: net.eth0 (name: net.eth-0)\n"
            "NETDATA_NET_ETH_0_RECEIVED=\"10\"      # kilobits/s\n"
            "NETDATA_NET_ETH_0_SENT=\"5\"      # kilobits/s\n"
            "NETDATA_NET_ETH_0_VISIBLETOTAL=\"15\"      # kilobits/s\n"
            "\n# NETDATA ALARMS RUNNING\n");
  EXPECT_EQ(get("format=bash").body, r.body);
}

TEST_F(AllmetricsTest, ShellCommentsCannotBreakTheLine) {
  auto evil = make_chart("evil.chart", {"d"});
  evil.units = "x\nrm -rf /";
  ASSERT_TRUE(child_->define_chart(evil).ok());
  const auto body = get("filter=evil.chart").body;
  EXPECT_EQ(body.find("\nrm -rf"), std::string::npos) << body;
  EXPECT_NE(body.find("NETDATA_EVIL_CHART_D=\"\"      # x rm -rf /\n"), std::string::npos);
}

TEST_F(AllmetricsTest, JsonShape) {
  const auto r = get("format=json");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  const json body = json::parse(r.body);
  const json& cpu = body["system.cpu"];
  EXPECT_EQ(cpu["name"], "system.cpu");
  EXPECT_EQ(cpu["family"], "cpu");
  EXPECT_EQ(cpu["context"], "system.cpu");
  EXPECT_EQ(cpu["units"], "percentage");
  EXPECT_EQ(cpu["last_updated"], kNow);
  EXPECT_EQ(cpu["dimensions"]["user"], json({{"name", "user"}, {"value", 60}}));
  EXPECT_EQ(cpu["dimensions"]["system"], json({{"name", "sys"}, {"value", 0.25}}));
  EXPECT_NEAR(body["net.eth0"]["dimensions"]["sent"]["value"].get<double>(), -4.6, 1e-6);
  EXPECT_EQ(json::parse(get("format=json&filter=net.eth-0").body).size(), 1u);
  EXPECT_EQ(json::parse(get("format=json&filter=!net.*%20*").body).size(), 1u);
}

TEST_F(AllmetricsTest, FlatIsOneObjectPerDimensionWithTopLevelTags) {
  const auto r = get("format=flat");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  const json body = json::parse(r.body);
  ASSERT_TRUE(body.is_array());
  ASSERT_EQ(body.size(), 4u);
  const json& sys = body[1];
  EXPECT_EQ(sys, json::parse(R"({"measurement":"netdata_system_cpu","hostname":"web \"01\"",
      "machine_guid":"22222222-2222-4222-8222-222222222222","chart":"system.cpu","family":"cpu",
      "context":"system.cpu","dimension":"sys","units":"percentage","value":0.25,
      "timestamp":1700000000})"));
  for (const auto& metric : body) {
    for (const auto& [key, value] : metric.items()) {
      EXPECT_FALSE(value.is_object() || value.is_array()) << key;       // nothing to flatten
      EXPECT_EQ(key.find_first_of(".*#|@"), std::string::npos) << key;  // no GJSON syntax
    }
  }
  EXPECT_EQ(json::parse(get("format=flat&names=no").body)[1]["dimension"], "system");
  EXPECT_EQ(json::parse(get("format=flat&prefix=tributary").body)[0]["measurement"],
            "tributary_system_cpu");
}

TEST_F(AllmetricsTest, PrometheusAverageSinceTheLastScrape) {
  const auto first = get("format=prometheus&server=prom1");
  ASSERT_EQ(first.status, 200);
  EXPECT_EQ(first.content_type, "text/plain; version=0.0.4");
  // A first scrape covers one slot, three collections back (Netdata's window).
  EXPECT_EQ(first.body,
            "netdata_info{instance=\"web \\\"01\\\"\",application=\"netdata\",version=\"v1.37.1\"}"
            " 1 1700000000000\n"
            "netdata_host_tags_info{role=\"db\\\\primary\",_9zone=\"eu\"} 1 1700000000000\n"
            "netdata_host_tags{role=\"db\\\\primary\",_9zone=\"eu\"} 1 1700000000000\n"
            "netdata_system_cpu_percentage_average{chart=\"system.cpu\",family=\"cpu\","
            "dimension=\"user\"} 57 1699999997000\n"
            "netdata_system_cpu_percentage_average{chart=\"system.cpu\",family=\"cpu\","
            "dimension=\"sys\"} 0.25 1699999997000\n"
            "netdata_net_net_kilobits_persec_average{chart=\"net.eth-0\",family=\"eth0\","
            "dimension=\"received\"} 10 1699999997000\n"
            "netdata_net_net_kilobits_persec_average{chart=\"net.eth-0\",family=\"eth0\","
            "dimension=\"sent\"} -4.5999999 1699999997000\n");
  // Ten seconds later the same server gets the average of the ten slots since.
  now_ = kNow + 10;
  for (int64_t t = kNow + 1; t <= kNow + 10; ++t) {
    ASSERT_TRUE(child_->store("system.cpu", {t, {100.0, 0.25}}).ok());
  }
  const auto second = get("format=prometheus&server=prom1&timestamps=no");
  // Slots kNow-2 .. kNow+7: 58, 59, 60 and seven times 100.
  EXPECT_NE(second.body.find("dimension=\"user\"} 87.7\n"), std::string::npos) << second.body;
  // Another server starts afresh.
  const auto other = get("format=prometheus&server=prom2&timestamps=no");
  EXPECT_NE(other.body.find("dimension=\"user\"} 100\n"), std::string::npos) << other.body;
  EXPECT_EQ(scrapes_.size(), 2u);
}

TEST_F(AllmetricsTest, PrometheusOptions) {
  const auto r =
      get("format=prometheus&source=as-collected&names=no&timestamps=no&types=yes&prefix=trib&"
          "filter=system.cpu");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body,
            "# TYPE netdata_info gauge\n"
            "netdata_info{instance=\"web \\\"01\\\"\",application=\"netdata\",version=\"v1.37.1\"}"
            " 1\n"
            "# TYPE netdata_host_tags_info gauge\n"
            "netdata_host_tags_info{role=\"db\\\\primary\",_9zone=\"eu\"} 1\n"
            "# TYPE netdata_host_tags gauge\n"
            "netdata_host_tags{role=\"db\\\\primary\",_9zone=\"eu\"} 1\n"
            "# TYPE trib_system_cpu gauge\n"
            "trib_system_cpu{chart=\"system.cpu\",family=\"cpu\",dimension=\"user\"} 60\n"
            "trib_system_cpu{chart=\"system.cpu\",family=\"cpu\",dimension=\"system\"} 0.25\n");
  // The request above had no server=: the client's address named it.
  EXPECT_EQ(scrapes_.exchange("10.0.0.9", kChildGuid, kNow), kNow);
  const auto sum =
      get("format=prometheus&server=p2&source=sum&hideunits=yes&filter=system.cpu&help=yes");
  EXPECT_NE(sum.body.find("# COMMENT netdata \"web \"01\"\" to FIRST SEEN prometheus \"p2\", "
                          "source \"sum\", last seen 0 never, time range 1699999999 to "
                          "1700000000\n\n"),
            std::string::npos)
      << sum.body;
  EXPECT_NE(sum.body.find("# HELP netdata_system_cpu_sum context system.cpu, units percentage, "
                          "the sum of the values since the last scrape\n"),
            std::string::npos);
  EXPECT_NE(sum.body.find("# COMMENT netdata_system_cpu_sum: chart \"system.cpu\""),
            std::string::npos);
  EXPECT_NE(sum.body.find("netdata_system_cpu_sum{"), std::string::npos);
}

TEST_F(AllmetricsTest, PrometheusAllHostsGroupsFamiliesAcrossHosts) {
  auto other = registry_->connect(make_host("db-1", "33333333-3333-4333-8333-333333333333"),
                                  {store::MemoryMode::ram, 3600}, kNow);
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE((*other)->define_chart(make_chart("system.cpu", {"user"})).ok());
  ASSERT_TRUE((*other)->store("system.cpu", {kNow - 3, {7.0}}).ok());
  const auto r = get("format=prometheus_all_hosts&timestamps=no&types=yes", "/api/v1/allmetrics");
  ASSERT_EQ(r.status, 200);
  const std::string& b = r.body;
  // One TYPE line per family, every sample of a family together.
  const size_t type = b.find("# TYPE netdata_system_cpu_percentage_average gauge\n");
  ASSERT_NE(type, std::string::npos) << b;
  EXPECT_EQ(b.find("# TYPE netdata_system_cpu_percentage_average", type + 1), std::string::npos);
  const size_t web = b.find("dimension=\"user\",instance=\"web \\\"01\\\"\"} 57\n");
  const size_t db = b.find("dimension=\"user\",instance=\"db-1\"} 7\n");
  ASSERT_NE(web, std::string::npos) << b;
  ASSERT_NE(db, std::string::npos) << b;
  EXPECT_EQ(b.find("# TYPE", web), b.find("# TYPE netdata_net_net", web));
  EXPECT_NE(b.find("netdata_info{instance=\"parent\",application=\"tributary\""),
            std::string::npos);
}

TEST_F(AllmetricsTest, BadParametersAre400WithAMessage) {
  auto bad = [&](std::string_view query) {
    const auto r = get(query);
    EXPECT_EQ(r.status, 400) << query;
    return r.body;
  };
  EXPECT_NE(bad("format=xml").find("Which format?"), std::string::npos);
  EXPECT_NE(bad("format=prometheus&source=median").find("'source'"), std::string::npos);
  EXPECT_NE(bad("format=prometheus&timestamps=maybe").find("'timestamps'"), std::string::npos);
  for (const char* option : {"names", "help", "types", "variables", "hideunits", "oldunits"}) {
    EXPECT_NE(bad(std::string("format=prometheus&") + option + "=2").find(option),
              std::string::npos);
  }
  EXPECT_NE(bad("format=prometheus&prefix=1abc").find("'prefix'"), std::string::npos);
  EXPECT_NE(bad("format=prometheus&prefix=a-b").find("'prefix'"), std::string::npos);
  EXPECT_NE(bad("format=prometheus&server=" + std::string(kMaxServerName + 1, 's')).find("server"),
            std::string::npos);
  // Empty values are skipped as Netdata does; unknown parameters are ignored.
  EXPECT_EQ(get("format=&prefix=&whatever=1").status, 200);
}

TEST(AllmetricsPiecesTest, Sanitizers) {
  EXPECT_EQ(prometheus_name("disk.io-sda/1"), "disk_io_sda_1");
  EXPECT_EQ(prometheus_label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  EXPECT_EQ(prometheus_label_value("caf\xC3\xA9"), "caf\xC3\xA9");
  EXPECT_EQ(prometheus_label_value("bad\xC3(\xFF"), "bad\xEF\xBF\xBD(\xEF\xBF\xBD");
  EXPECT_EQ(prometheus_label_value("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(prometheus_units("%"), "_percent");
  EXPECT_EQ(prometheus_units("KiB/s"), "_KiB_persec");
  EXPECT_EQ(prometheus_units("packets"), "_packets");
}

TEST(AllmetricsPiecesTest, ScrapeHistoryIsBounded) {
  ScrapeHistory history(2);
  EXPECT_EQ(history.exchange("a", "h", 10), 0);
  EXPECT_EQ(history.exchange("b", "h", 11), 0);
  EXPECT_EQ(history.exchange("a", "h", 12), 10);
  EXPECT_EQ(history.exchange("c", "h", 13), 0);  // forgets b, the least recent
  EXPECT_EQ(history.size(), 2u);
  EXPECT_EQ(history.exchange("b", "h", 14), 0);
  EXPECT_EQ(history.exchange("c", "h", 15), 13);
}

}  // namespace
}  // namespace trib::parent::query
