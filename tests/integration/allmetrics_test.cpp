// /api/v1/allmetrics against real consumers: a real Prometheus scrapes a running parent and
// answers a query with its series, and promtool parses the exposition.
#include <gtest/gtest.h>

#include <filesystem>

#include "integration/cluster.h"

namespace trib::test {
namespace {

using namespace std::chrono_literals;

// The Debian package `prometheus` ships both (packaging/build-deps.txt).
std::string find_tool(const std::string& name) {
  for (const char* dir : {"/usr/bin/", "/usr/local/bin/", "/bin/"}) {
    const std::string path = std::string(dir) + name;
    if (std::filesystem::exists(path)) return path;
  }
  return {};
}

class AllmetricsIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_.write_parent_yaml("storage:\n  memory_mode: ram\n");
    cluster_.start_parent();
    // The parent's own host has charts with values once its collectors ran twice.
    ASSERT_TRUE(eventually(
        [&] {
          const auto r = http_get(cluster_.port(), "/api/v1/allmetrics?format=prometheus");
          return r.status == 200 && r.body.find("netdata_system_cpu_") != std::string::npos;
        },
        20s))
        << cluster_.parent_log();
  }

  Cluster cluster_;
};

TEST_F(AllmetricsIntegrationTest, PromtoolParsesTheExposition) {
  const std::string promtool = find_tool("promtool");
  if (promtool.empty()) GTEST_SKIP() << "promtool is not installed (Debian package prometheus)";
  for (const std::string query :
       {"format=prometheus&help=yes&types=yes", "format=prometheus_all_hosts&types=yes",
        "format=prometheus&source=as-collected&timestamps=no&types=yes"}) {
    const auto r = http_get(cluster_.port(), "/api/v1/allmetrics?" + query);
    ASSERT_EQ(r.status, 200) << query;
    const std::string file = cluster_.dir() / "metrics.prom";
    write_file(file, r.body);
    const RunResult result = run_to_exit("/bin/sh", {"-c", promtool + " check metrics < " + file});
    // 0: clean; 3: only lint advice (Netdata's names carry units such as KiB, which promlint
    // calls camelCase). 1 would be a parse error.
    EXPECT_TRUE(result.exit_code == 0 || result.exit_code == 3)
        << query << ": exit " << result.exit_code << "\n"
        << result.output;
    EXPECT_EQ(result.output.find("error while linting"), std::string::npos) << query << "\n"
                                                                            << result.output;
  }
}

TEST_F(AllmetricsIntegrationTest, ARealPrometheusScrapesTheParent) {
  const std::string prometheus = find_tool("prometheus");
  if (prometheus.empty()) {
    GTEST_SKIP() << "prometheus is not installed (Debian package prometheus): NOT TESTED";
  }
  const uint16_t prometheus_port = free_port();
  const std::string config = cluster_.dir() / "prometheus.yml";
  write_file(config,
             "global:\n"
             "  scrape_interval: 1s\n"
             "  scrape_timeout: 1s\n"
             "scrape_configs:\n"
             "  - job_name: tributary\n"
             "    metrics_path: /api/v1/allmetrics\n"
             "    params:\n"
             "      format: [prometheus]\n"
             "      server: [integration-test]\n"
             "    honor_labels: true\n"
             "    static_configs:\n"
             "      - targets: ['127.0.0.1:" +
                 std::to_string(cluster_.port()) + "']\n");
  Process server(prometheus,
                 {"--config.file=" + config, "--storage.tsdb.path=" + (cluster_.dir() / "tsdb"),
                  "--web.listen-address=127.0.0.1:" + std::to_string(prometheus_port)},
                 cluster_.dir() / "prometheus.log");

  // The target is up (a parse error would mark it down with the reason)...
  std::string targets;
  EXPECT_TRUE(eventually(
      [&] {
        targets = http_get(prometheus_port, "/api/v1/targets").body;
        return targets.find("\"health\":\"up\"") != std::string::npos;
      },
      30s))
      << targets << "\n"
      << read_file(cluster_.dir() / "prometheus.log");
  // ...and PromQL finds the parent's series, with the labels it exposed.
  nlohmann::json result;
  EXPECT_TRUE(eventually(
      [&] {
        const auto r =
            http_get(prometheus_port, "/api/v1/query?query=netdata_system_cpu_percentage_average");
        if (r.status != 200) return false;
        result = nlohmann::json::parse(r.body, nullptr, false);
        return !result.is_discarded() && result["status"] == "success" &&
               !result["data"]["result"].empty();
      },
      30s))
      << result.dump() << "\n"
      << targets;
  if (!result.is_discarded() && !result["data"]["result"].empty()) {
    const auto& metric = result["data"]["result"][0]["metric"];
    EXPECT_EQ(metric["chart"], "system.cpu");
    EXPECT_EQ(metric["job"], "tributary");
    EXPECT_TRUE(metric.contains("dimension"));
  }
  // The parent counts the scrapes among its own queries (self-metrics).
  EXPECT_TRUE(eventually([&] {
    auto queries = cluster_.get_json("/api/v1/allmetrics?format=json&filter=tributary.queries");
    if (!queries) return false;
    const auto& value = (*queries)["tributary.queries"]["dimensions"]["api"]["value"];
    return value.is_number() && value.get<double>() > 0;
  }));
}

}  // namespace
}  // namespace trib::test
