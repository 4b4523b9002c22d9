// Configuration errors on real binaries: each one stops the start at once, naming the file, the
// line and what is wrong. --check-config, --help and --version.
#include <gtest/gtest.h>

#include "integration/cluster.h"

namespace trib::test {
namespace {

using namespace std::chrono_literals;

const std::string kGoodStreamConf = std::string("[stream]\n  enabled = yes\n") +
                                    "  destination = 127.0.0.1:1\n  api key = " + kApiKey + "\n";

class ConfigErrors : public ::testing::Test {
 protected:
  std::string etc() const { return dir_ / "etc"; }

  RunResult run_agent(const std::string& agent_yaml, const std::string& stream_conf,
                      const std::vector<std::string>& extra = {}) {
    write_file(dir_ / "etc/agent.yaml", agent_yaml);
    write_file(dir_ / "etc/stream.conf", stream_conf);
    std::vector<std::string> args{"--config-dir", etc(), "--data-dir", dir_ / "data"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_to_exit(agent_binary(), args);
  }

  RunResult run_parent(const std::string& parent_yaml, const std::string& stream_conf,
                       const std::vector<std::string>& extra = {}) {
    write_file(dir_ / "etc/parent.yaml", parent_yaml);
    write_file(dir_ / "etc/stream.conf", stream_conf);
    std::vector<std::string> args{"--config-dir", etc(), "--data-dir", dir_ / "data"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_to_exit(parent_binary(), args);
  }

  // A refused start: non-zero, within a second, naming `where` (file:line) and `what`.
  static void expect_refused(const RunResult& run, const std::string& where,
                             const std::vector<std::string>& what) {
    EXPECT_NE(run.exit_code, 0) << run.output;
    EXPECT_NE(run.exit_code, -1) << "still running: " << run.output;
    EXPECT_LT(run.took, 1s);
    EXPECT_NE(run.output.find("configuration error"), std::string::npos) << run.output;
    EXPECT_NE(run.output.find(where), std::string::npos) << run.output;
    for (const auto& text : what) EXPECT_NE(run.output.find(text), std::string::npos) << run.output;
  }

  TempDir dir_;
};

TEST_F(ConfigErrors, AgentYamlUnknownKeyListsTheValidOnes) {
  const auto run = run_agent("hostname: a\nlog:\n  level: info\ncolectors: {}\n", kGoodStreamConf);
  expect_refused(run, etc() + "/agent.yaml:4",
                 {"unknown key 'colectors'", "valid keys", "collectors", "config_check_interval",
                  "processes"});
}

TEST_F(ConfigErrors, AgentYamlValueOfTheWrongType) {
  const auto run = run_agent("hostname: a\ncollectors:\n  proc.stat:\n    enabled: sometimes\n",
                             kGoodStreamConf);
  expect_refused(run, etc() + "/agent.yaml:4", {"collectors.proc.stat.enabled", "sometimes"});
  const auto list = run_agent("config_check_interval: [1, 2]\n", kGoodStreamConf);
  expect_refused(list, etc() + "/agent.yaml:1", {"config_check_interval", "a list"});
}

TEST_F(ConfigErrors, AgentProcessesWithABadRegex) {
  const auto run = run_agent(
      "hostname: a\nprocesses:\n  - name: broken\n    cmdline: \"java ([a-z\"\n", kGoodStreamConf);
  expect_refused(run, etc() + "/agent.yaml:4",
                 {"processes", "cmdline", "'java ([a-z' is not a valid RE2 regular expression"});
}

TEST_F(ConfigErrors, StreamConfKeyNetdataDoesNotKnow) {
  const auto run = run_agent("hostname: a\n", kGoodStreamConf + "  send everything = yes\n");
  expect_refused(run, etc() + "/stream.conf:5",
                 {"unknown key 'send everything' in section [stream]", "valid keys"});
  // The parent reads the same file format and refuses the same way.
  const auto parent = run_parent(
      "", std::string("[") + kApiKey + "]\n  enabled = yes\n  default memroy mode = ram\n");
  expect_refused(parent, etc() + "/stream.conf:3",
                 {"unknown key 'default memroy mode' in section [" + std::string(kApiKey) + "]"});
}

TEST_F(ConfigErrors, ParentYamlPortOutOfRange) {
  const auto run = run_parent("port: 99999\n", "");
  expect_refused(run, etc() + "/parent.yaml:1", {"'port'", "99999"});
}

TEST_F(ConfigErrors, CheckConfigWarnsAboutNetdataKeysNotImplementedYet) {
  const auto run =
      run_agent("hostname: a\n", kGoodStreamConf + "  initial clock resync iterations = 60\n",
                {"--check-config"});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("warning: "), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("initial clock resync iterations"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("is valid"), std::string::npos) << run.output;

  const auto parent =
      run_parent("", std::string("[") + kApiKey + "]\n  enabled = yes\n  enable replication = no\n",
                 {"--check-config"});
  EXPECT_EQ(parent.exit_code, 0) << parent.output;
  EXPECT_NE(parent.output.find("enable replication"), std::string::npos) << parent.output;
}

TEST_F(ConfigErrors, CheckConfigOfABrokenFileFails) {
  const auto run = run_agent("hostname: [\n", kGoodStreamConf, {"--check-config"});
  expect_refused(run, etc() + "/agent.yaml", {});
}

TEST(CommandLine, HelpAndVersion) {
  for (const auto& binary : {agent_binary(), parent_binary()}) {
    const auto help = run_to_exit(binary, {"--help"});
    EXPECT_EQ(help.exit_code, 0) << help.output;
    EXPECT_NE(help.output.find("--config-dir"), std::string::npos) << help.output;
    EXPECT_NE(help.output.find("--check-config"), std::string::npos) << help.output;
    const auto version = run_to_exit(binary, {"--version"});
    EXPECT_EQ(version.exit_code, 0) << version.output;
    EXPECT_NE(version.output.find("tributary-"), std::string::npos) << version.output;
    const auto unknown = run_to_exit(binary, {"--no-such-switch"});
    EXPECT_EQ(unknown.exit_code, 2) << unknown.output;
    EXPECT_NE(unknown.output.find("no-such-switch"), std::string::npos) << unknown.output;
  }
}

}  // namespace
}  // namespace trib::test
