#pragma once
// Registries on both backends for the fleet tests: SQLite in a scratch directory, or a fresh
// database on the test process's PostgreSQL server (support/postgres_server.h). A test on
// PostgreSQL is skipped, loudly, only when the server cannot be started here.

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "parent/fleet/registry.h"
#include "support/postgres_server.h"
#include "support/process.h"

namespace trib::parent::fleet {

inline std::string heartbeat_fixture(const std::string& name) {
  return test::read_file(std::string(TRIB_TEST_FIXTURES) + "/heartbeats/" + name);
}

// Where a test's registry lives: "sqlite" or "postgresql".
class BackendTest : public ::testing::TestWithParam<std::string> {
 protected:
  // The location of a fresh, empty database for open_database(); "" after GTEST_SKIP.
  std::string fresh_location() {
    if (GetParam() == "sqlite") return dir_ / ("fleet" + std::to_string(++files_) + ".db");
    std::string url = test::PostgresServer::shared().create_database();
    EXPECT_FALSE(url.empty()) << test::PostgresServer::shared().why();
    return url;
  }

  // Opens the registry at `location` (a new one when empty). Fails the test on error.
  std::unique_ptr<FleetRegistry> open_registry(std::string location, int64_t now_s) {
    if (location.empty()) location = fresh_location();
    auto db = open_database(location, dir_.path());
    EXPECT_TRUE(db.ok()) << (db.ok() ? "" : db.error().describe());
    if (!db.ok()) return nullptr;
    auto registry = FleetRegistry::open(std::move(db).value(), now_s);
    EXPECT_TRUE(registry.ok()) << (registry.ok() ? "" : registry.error().describe());
    return registry.ok() ? std::move(registry).value() : nullptr;
  }

  void SetUp() override {
    if (GetParam() != "postgresql") return;
    auto& server = test::PostgresServer::shared();
    if (!server.started()) {
      GTEST_SKIP() << "\n*** PostgreSQL tests SKIPPED: " << server.why() << "\n";
    }
  }

  test::TempDir dir_;
  int files_ = 0;
};

inline std::string backend_name(const ::testing::TestParamInfo<std::string>& info) {
  return info.param;
}

}  // namespace trib::parent::fleet
