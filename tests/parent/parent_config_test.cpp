#include "parent/parent_config.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace trib::parent {
namespace {

namespace fs = std::filesystem;

class ParentConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           (std::string("trib_parent_cfg_") + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    sources_.config_dir = dir_.string();
    sources_.dotenv_path = (dir_ / ".env").string();
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& rel, const std::string& text) {
    fs::create_directories((dir_ / rel).parent_path());
    std::ofstream(dir_ / rel) << text;
  }
  Result<ParentOptions> load() { return load_parent_config(sources_); }

  fs::path dir_;
  ParentConfigSources sources_;
};

TEST_F(ParentConfigTest, Defaults) {
  auto r = load();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->bind, "0.0.0.0");
  EXPECT_EQ(r->port, 19999);
  EXPECT_EQ(r->storage.memory_mode, "dbengine");
  EXPECT_EQ(r->storage.retention.max_age, std::chrono::seconds(30 * 86400));
  EXPECT_EQ(r->storage.retention.max_size, uint64_t{20} << 30);
  EXPECT_EQ(r->storage.history, 3600u);
}

TEST_F(ParentConfigTest, TiersDefaultToAMinuteAndAnHour) {
  auto r = load();
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->storage.tiers.size(), 2u);
  EXPECT_EQ(r->storage.tiers[0].every, std::chrono::seconds(60));
  EXPECT_EQ(r->storage.tiers[0].max_age, std::chrono::seconds(365 * 86400));
  EXPECT_EQ(r->storage.tiers[1].every, std::chrono::seconds(3600));
  EXPECT_EQ(r->storage.tiers[1].max_age, std::chrono::seconds(5 * 365 * 86400));
}

TEST_F(ParentConfigTest, TiersFromTheIssuesExampleAndTheirErrors) {
  write("parent.yaml",
        "storage:\n  tiers: [{every: 1m, max_age: 1y}, {every: 1h, max_age: 5y, max_size: "
        "4GiB}, {every: 1d, max_age: 0}]\n");
  auto r = load();
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->storage.tiers.size(), 3u);
  EXPECT_EQ(r->storage.tiers[1].max_size, uint64_t{4} << 30);
  EXPECT_EQ(r->storage.tiers[2].every, std::chrono::seconds(86400));
  EXPECT_EQ(r->storage.tiers[2].max_age, std::chrono::seconds(0));

  write("parent.yaml", "storage:\n  tiers: [{every: 1h}, {every: 1m}]\n");
  r = load();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("storage.tiers"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("coarser"), std::string::npos) << r.error().message;

  write("parent.yaml", "storage:\n  tiers: [{every: 1m, keep: 1y}]\n");
  r = load();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("max_age"), std::string::npos) << r.error().message;

  write("parent.yaml", "storage:\n  tiers: []\n");
  r = load();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->storage.tiers.empty());
}

TEST_F(ParentConfigTest, FileAndDropins) {
  write("parent.yaml",
        "hostname: central\nbind: 127.0.0.1\nport: 20000\nlog: {level: debug}\n"
        "storage:\n  memory_mode: none\n  history: 10\n");
  write("parent.d/10.yaml", "storage:\n  history: 20\n");
  auto r = load();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->hostname, "central");
  EXPECT_EQ(r->bind, "127.0.0.1");
  EXPECT_EQ(r->port, 20000);
  EXPECT_EQ(r->log.level, "debug");
  EXPECT_EQ(r->storage.memory_mode, "none");
  EXPECT_EQ(r->storage.history, 20u);
}

TEST_F(ParentConfigTest, PrecedenceFlagsOverEnvOverDotenvOverFiles) {
  write("parent.yaml", "port: 1000\nstorage:\n  history: 100\n");
  write(".env", "PORT=2000\nTRIBUTARY_STORAGE_HISTORY=200\n");
  auto r = load();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->port, 2000);  // .env beats the file
  EXPECT_EQ(r->storage.history, 200u);

  sources_.env = {{"PORT", "3000"}};
  EXPECT_EQ(load()->port, 3000);  // the real environment beats .env
  sources_.env["APP_PORT"] = "3500";
  EXPECT_EQ(load()->port, 3500);  // the current Telegraf-Controller name beats the older one
  sources_.env["TRIBUTARY_PORT"] = "4000";
  EXPECT_EQ(load()->port, 4000);  // Tributary's own name beats the compatibility names
  sources_.overrides.push_back({"port", "5000", "--port"});
  EXPECT_EQ(load()->port, 5000);  // the command line beats everything
}

TEST_F(ParentConfigTest, TlsFromFileSslCertVariablesAndFlags) {
  EXPECT_EQ(load()->tls.mode, "auto");
  write("parent.yaml",
        "tls:\n  certificate: /f.crt\n  key: /f.key\n  client_ca: /ca.crt\n  mode: force\n");
  auto r = load();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->tls.certificate, "/f.crt");
  EXPECT_EQ(r->tls.key, "/f.key");
  EXPECT_EQ(r->tls.client_ca, "/ca.crt");
  EXPECT_EQ(r->tls.mode, "force");
  sources_.env = {{"SSL_CERT", "/env.crt"}, {"SSL_KEY", "/env.key"}};
  EXPECT_EQ(load()->tls.certificate, "/env.crt");  // Telegraf-Controller's names beat the file
  EXPECT_EQ(load()->tls.key, "/env.key");
  sources_.overrides.push_back({"tls.certificate", "/flag.crt", "--ssl-cert"});
  sources_.overrides.push_back({"tls.key", "/flag.key", "--ssl-key"});
  EXPECT_EQ(load()->tls.certificate, "/flag.crt");
  EXPECT_EQ(load()->tls.key, "/flag.key");
  write("parent.yaml", "tls:\n  mode: sometimes\n");
  EXPECT_FALSE(load().ok());
}

TEST_F(ParentConfigTest, ErrorsNameTheirSource) {
  sources_.env = {{"PORT", "http"}};
  EXPECT_EQ(load().error().message, "environment variable PORT: 'port': 'http' is not an integer");
  sources_.env.clear();
  sources_.overrides.push_back({"port", "0", "--port"});
  EXPECT_EQ(load().error().message, "--port: 'port': 0 is out of range; valid: 1..65535");
  sources_.overrides.clear();
  write("parent.yaml", "storage:\n  history: 4\n");
  EXPECT_EQ(load().error().message,
            (dir_ / "parent.yaml").string() +
                ":2: 'storage.history': 4 is out of range; valid: 5..100000000");
  write("parent.yaml", "storage:\n  memory_mode: disk\n");
  EXPECT_NE(load().error().message.find("valid values: none, ram, dbengine, save, map, alloc"),
            std::string::npos);
  write("parent.yaml", "");
  write(".env", "broken line\n");
  EXPECT_EQ(load().error().message, (dir_ / ".env").string() + ":1: expected KEY=value");
}

TEST_F(ParentConfigTest, NestedOverride) {
  sources_.overrides.push_back({"storage.memory_mode", "none", "--memory-mode"});
  auto r = load();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->storage.memory_mode, "none");
}

TEST(ParentConfigDiff, RestartClasses) {
  ParentOptions a;
  ParentOptions b;
  b.port = 1;
  b.log.level = "debug";
  EXPECT_EQ(diff_parent_options(a, b),
            (std::vector<config::Change>{{"port", config::Reload::restart},
                                         {"log.level", config::Reload::live}}));
}

// conf/parent.yaml is generated: run with TRIB_REGENERATE_CONF=1 to rewrite it.
TEST(ParentConfigSample, CheckedInFileMatchesTheDeclarations) {
  const std::string path = std::string(TRIB_SOURCE_DIR) + "/conf/parent.yaml";
  const std::string sample = parent_config_sample();
  if (std::getenv("TRIB_REGENERATE_CONF") != nullptr) std::ofstream(path) << sample;
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), sample) << "conf/parent.yaml is stale; regenerate it with "
                                   "TRIB_REGENERATE_CONF=1 parent_tests";
}

TEST(ParentConfigSample, LoadsAsTheDefaults) {
  ParentConfigSources sources;
  sources.config_dir = std::string(TRIB_SOURCE_DIR) + "/conf";
  auto r = load_parent_config(sources);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(diff_parent_options(*r, ParentOptions{}).empty());
}

}  // namespace
}  // namespace trib::parent
