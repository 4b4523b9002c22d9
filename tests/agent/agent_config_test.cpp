#include "agent/agent_config.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace trib::agent {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr std::string_view kCollectorNames[] = {"cpu", "memory", "disks"};

class AgentConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           (std::string("trib_agent_cfg_") + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write(const std::string& rel, const std::string& text) {
    fs::create_directories((dir_ / rel).parent_path());
    std::ofstream(dir_ / rel) << text;
  }
  Result<AgentOptions> load(const config::Environment& env = {}) {
    return load_agent_config(dir_.string(), kCollectorNames, env);
  }
  std::string error_of(const config::Environment& env = {}) {
    auto r = load(env);
    EXPECT_FALSE(r.ok());
    return r.ok() ? "" : r.error().message;
  }
  std::string file(const std::string& rel) const { return (dir_ / rel).string(); }

  fs::path dir_;
};

TEST_F(AgentConfigTest, MissingFileMeansDefaultsWithEveryCollector) {
  auto r = load();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->hostname, "");
  EXPECT_EQ(r->log.level, "info");
  EXPECT_EQ(r->config_check_interval, 30s);
  ASSERT_EQ(r->collectors.size(), 3u);
  EXPECT_EQ(r->collectors.at("cpu"), CollectorOptions{});
  EXPECT_TRUE(r->processes.empty());
}

TEST_F(AgentConfigTest, FullFileWithDropinsAndEnvironment) {
  write("agent.yaml", R"(
hostname: web-01
log:
  level: warn
  file: /var/log/tributary/agent.log
config_check_interval: 1m
collectors:
  cpu:
    update_every: 5s
    max_series: 100
  disks:
    enabled: false
processes:
  - name: nginx
    comm: nginx
  - name: app
    cmdline: "java .*-jar app\\.jar"
  - name: pg
    pidfile: /run/pg.pid
)");
  write("agent.d/10-debug.yaml",
        "log:\n  level: debug\ncollectors:\n  cpu:\n    max_series: 200\n");
  auto r = load({{"TRIBUTARY_CONFIG_CHECK_INTERVAL", "2m"},
                 {"TRIBUTARY_COLLECTORS_MEMORY_UPDATE_EVERY", "10"},
                 {"TRIBUTARY_HOSTNAME_X", "ignored"}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->hostname, "web-01");
  EXPECT_EQ(r->log.level, "debug");
  EXPECT_EQ(r->log.file, "/var/log/tributary/agent.log");
  EXPECT_EQ(r->config_check_interval, 2min);
  EXPECT_EQ(r->collectors.at("cpu").update_every, 5s);
  EXPECT_EQ(r->collectors.at("cpu").max_series, 200u);
  EXPECT_FALSE(r->collectors.at("disks").enabled);
  EXPECT_EQ(r->collectors.at("memory").update_every, 10s);
  ASSERT_EQ(r->processes.size(), 3u);
  EXPECT_EQ(r->processes[0], (ProcessMatch{"nginx", "nginx", "", ""}));
  EXPECT_EQ(r->processes[1].cmdline, "java .*-jar app\\.jar");
  EXPECT_EQ(r->processes[2].pidfile, "/run/pg.pid");
}

TEST_F(AgentConfigTest, EnvironmentSetsLogLevel) {
  auto r = load({{"TRIBUTARY_LOG_LEVEL", "error"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->log.level, "error");
  EXPECT_EQ(error_of({{"TRIBUTARY_LOG_LEVEL", "loud"}}),
            "environment variable TRIBUTARY_LOG_LEVEL: 'log.level': 'loud' is not valid; valid "
            "values: trace, debug, info, warn, error, critical, off");
}

TEST_F(AgentConfigTest, UnknownCollectorListsTheKnownOnes) {
  write("agent.yaml", "collectors:\n  cpu: {}\n  gpu:\n    enabled: true\n");
  EXPECT_EQ(
      error_of(),
      file("agent.yaml") + ":3: unknown key 'gpu' in 'collectors'; valid keys: cpu, memory, disks");
}

TEST_F(AgentConfigTest, UnknownKeyInADropinNamesThatFile) {
  write("agent.d/50-x.yaml", "log:\n  levle: debug\n");
  EXPECT_EQ(error_of(), file("agent.d/50-x.yaml") +
                            ":2: unknown key 'levle' in 'log'; valid keys: level, file");
}

TEST_F(AgentConfigTest, ProcessNeedsExactlyOneMatcher) {
  write("agent.yaml", "processes:\n  - name: a\n    comm: a\n    pidfile: /x\n");
  EXPECT_EQ(error_of(), file("agent.yaml") +
                            ":2: 'processes.0': give exactly one of 'comm', 'cmdline', 'pidfile' "
                            "(found 2)");
  write("agent.yaml", "processes:\n  - name: a\n");
  EXPECT_NE(error_of().find("(found 0)"), std::string::npos);
  write("agent.yaml", "processes:\n  - comm: a\n");
  EXPECT_EQ(error_of(), file("agent.yaml") + ":2: 'processes.0': 'name' is required");
}

TEST_F(AgentConfigTest, BadRegexIsReportedAtItsLine) {
  write("agent.yaml", "processes:\n  - name: a\n    cmdline: \"java (\"\n");
  const std::string e = error_of();
  EXPECT_EQ(e.rfind(file("agent.yaml") +
                        ":3: 'processes.0.cmdline': 'java (' is not a valid RE2 regular expression",
                    0),
            0u)
      << e;
}

TEST_F(AgentConfigTest, CollectorBounds) {
  write("agent.yaml", "collectors:\n  cpu:\n    update_every: 500ms\n");
  EXPECT_EQ(error_of(), file("agent.yaml") +
                            ":3: 'collectors.cpu.update_every': 500ms is out of range; valid: "
                            "1s..1h");
  write("agent.yaml", "collectors:\n  cpu:\n    max_series: 0\n");
  EXPECT_NE(error_of().find("'collectors.cpu.max_series': 0 is out of range"), std::string::npos);
}

TEST(AgentConfigDiff, ReportsCollectorAndProcessChanges) {
  AgentOptions a;
  AgentOptions b;
  EXPECT_TRUE(diff_agent_options(a, b).empty());
  b.collectors["cpu"].update_every = 2s;
  b.processes.push_back(ProcessMatch{"x", "x", "", ""});
  b.log.file = "/tmp/x";
  b.hostname = "renamed";
  EXPECT_EQ(diff_agent_options(a, b),
            (std::vector<config::Change>{{"hostname", config::Reload::restart},
                                         {"log.file", config::Reload::live},
                                         {"collectors", config::Reload::live},
                                         {"processes", config::Reload::live}}));
}

// conf/agent.yaml is generated: run with TRIB_REGENERATE_CONF=1 to rewrite it after changing an
// option declaration.
TEST(AgentConfigSample, CheckedInFileMatchesTheDeclarations) {
  const std::string path = std::string(TRIB_SOURCE_DIR) + "/conf/agent.yaml";
  const std::string sample = agent_config_sample();
  if (std::getenv("TRIB_REGENERATE_CONF") != nullptr) std::ofstream(path) << sample;
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), sample) << "conf/agent.yaml is stale; regenerate it with "
                                   "TRIB_REGENERATE_CONF=1 agent_tests";
}

TEST(AgentConfigSample, LoadsAsTheDefaults) {
  const fs::path dir =
      fs::temp_directory_path() / ("trib_agent_sample_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "agent.yaml") << agent_config_sample();
  auto r = load_agent_config(dir.string(), kCollectorNames, {});
  fs::remove_all(dir);
  ASSERT_TRUE(r.ok()) << r.error().message;
  AgentOptions defaults;
  for (auto name : kCollectorNames) defaults.collectors[std::string(name)] = {};
  EXPECT_TRUE(diff_agent_options(*r, defaults).empty());
}

}  // namespace
}  // namespace trib::agent
