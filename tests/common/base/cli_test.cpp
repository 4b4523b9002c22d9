#include "common/base/cli.h"

#include <gtest/gtest.h>

namespace trib {
namespace {

CommandLine make() {
  CommandLine cli("tool", "does things");
  cli.add_option("config-dir", "DIR", "where the config is");
  cli.add_option("port", "N", "port");
  cli.add_switch("check-config", "validate and exit");
  return cli;
}

TEST(CommandLineTest, ParsesBothValueFormsAndSwitches) {
  auto cli = make();
  const char* argv[] = {"tool", "--config-dir", "/etc/x", "--port=8080", "--check-config"};
  ASSERT_TRUE(cli.parse(5, argv).ok());
  EXPECT_EQ(*cli.value("config-dir"), "/etc/x");
  EXPECT_EQ(*cli.value("port"), "8080");
  EXPECT_TRUE(cli.has("check-config"));
  EXPECT_FALSE(cli.has("help"));
}

TEST(CommandLineTest, ErrorsNameTheFlag) {
  auto cli = make();
  const char* unknown[] = {"tool", "--colour"};
  auto s = cli.parse(2, unknown);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("--colour"), std::string::npos);
  auto cli2 = make();
  const char* missing[] = {"tool", "--port"};
  EXPECT_FALSE(cli2.parse(2, missing).ok());
  auto cli3 = make();
  const char* stray[] = {"tool", "extra"};
  EXPECT_FALSE(cli3.parse(2, stray).ok());
  auto cli4 = make();
  const char* valued_switch[] = {"tool", "--check-config=yes"};
  EXPECT_FALSE(cli4.parse(2, valued_switch).ok());
}

TEST(CommandLineTest, HelpListsEveryFlag) {
  const auto text = make().help();
  EXPECT_NE(text.find("--config-dir DIR"), std::string::npos);
  EXPECT_NE(text.find("--check-config"), std::string::npos);
}

}  // namespace
}  // namespace trib
