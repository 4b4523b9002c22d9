// Log delivery as users run it: real binaries, real files, rotations, kills.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "integration/cluster.h"

namespace trib::test {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::string logs_yaml(const std::string& name, const std::string& dir) {
  return "hostname: " + name + "\nlogs:\n  scan_interval: 2s\n  sources:\n    - paths: [\"" + dir +
         "/*.log\"]\n      start_at: beginning\n      attributes: {service: test}\n";
}

void append(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::app | std::ios::binary);
  out << text;
}

struct Stored {
  std::string source;
  uint64_t generation = 0;
  uint64_t offset = 0;
  std::string line;
};

// Every record the parent holds for `guid`, following cursors; nullopt if the API failed.
std::optional<std::vector<Stored>> all_records(Cluster& cluster, const std::string& guid,
                                               std::vector<nlohmann::json>* gaps = nullptr) {
  std::vector<Stored> out;
  std::string cursor;
  for (;;) {
    auto page = cluster.get_json("/host/" + guid + "/api/v1/logs?limit=10000&cursor=" + cursor);
    if (!page) return std::nullopt;
    for (const auto& r : (*page)["records"]) {
      out.push_back({r["source"], r["generation"], r["offset"], r["line"]});
    }
    if (gaps != nullptr) {
      for (const auto& g : (*page)["gaps"]) gaps->push_back(g);
    }
    if ((*page)["records"].empty()) return out;
    cursor = (*page)["next_cursor"];
  }
}

// Checks the oracle: each expected line exactly once, and offsets increasing within each
// (source, generation). Returns a description of what is wrong, empty when all is well.
std::string check_exactly_once(const std::vector<Stored>& records,
                               const std::vector<std::string>& expected) {
  std::map<std::string, int> seen;
  std::map<std::pair<std::string, uint64_t>, uint64_t> last_offset;
  std::string problems;
  for (const auto& r : records) {
    ++seen[r.line];
    const auto key = std::make_pair(r.source, r.generation);
    auto it = last_offset.find(key);
    if (it != last_offset.end() && r.offset <= it->second) {
      problems += "out of order: " + r.source + " gen " + std::to_string(r.generation) + "\n";
    }
    last_offset[key] = r.offset;
  }
  size_t missing = 0;
  for (const auto& line : expected) {
    const int n = seen[line];
    if (n == 0 && ++missing <= 5) problems += "missing: " + line + "\n";
    if (n > 1) problems += "duplicated " + std::to_string(n) + "x: " + line + "\n";
  }
  if (missing > 5) problems += std::to_string(missing) + " missing in all\n";
  return problems;
}

TEST(LogsTest, LinesWrittenAndRotatedArriveExactlyOnce) {
  Cluster cluster;
  cluster.start_parent();
  const std::string dir = cluster.dir() / "app-logs";
  fs::create_directories(dir);
  auto agent = cluster.start_agent("logger", kApiKey, logs_yaml("logger", dir));
  ASSERT_TRUE(eventually([&] { return cluster.reachable(cluster.agent_guid("logger")); }));
  const std::string guid = cluster.agent_guid("logger");
  const std::string path = dir + "/app.log";
  std::vector<std::string> expected;
  auto write_lines = [&](int from, int to) {
    std::string text;
    for (int i = from; i < to; ++i) {
      expected.push_back("line " + std::to_string(i));
      text += expected.back() + "\n";
    }
    append(path, text);
  };
  auto delivered = [&] {
    auto records = all_records(cluster, guid);
    return records && records->size() >= expected.size();
  };
  write_lines(0, 100);
  ASSERT_TRUE(eventually(delivered, 15s));
  // Rename rotation (logrotate `create`), with a late write to the rotated file.
  fs::rename(path, dir + "/app.log.1");
  append(dir + "/app.log.1", "line 100\n");
  expected.push_back("line 100");
  write_lines(101, 200);
  ASSERT_TRUE(eventually(delivered, 15s));
  // copytruncate, once the agent has read everything (the copy is excluded by the glob).
  fs::copy_file(path, dir + "/app.log.2");
  fs::resize_file(path, 0);
  std::this_thread::sleep_for(500ms);
  write_lines(200, 300);
  ASSERT_TRUE(eventually(delivered, 15s));
  // Deleted and recreated.
  fs::remove(path);
  write_lines(300, 400);
  ASSERT_TRUE(eventually(delivered, 15s));
  std::this_thread::sleep_for(1s);  // anything extra would have arrived by now
  const auto records = all_records(cluster, guid);
  ASSERT_TRUE(records);
  EXPECT_EQ(check_exactly_once(*records, expected), "");
  EXPECT_EQ(records->size(), expected.size());
  // The source's attributes and the API's shape.
  auto page = cluster.get_json("/host/" + guid + "/api/v1/logs?limit=1&q=line%2042");
  ASSERT_TRUE(page);
  ASSERT_EQ((*page)["records"].size(), 1U);
  EXPECT_EQ((*page)["records"][0]["line"], "line 42");
  EXPECT_EQ((*page)["records"][0]["attributes"]["service"], "test");
  EXPECT_EQ((*page)["records"][0]["source"], path);
  // Self-metrics reach the parent as charts of the agent's host.
  EXPECT_TRUE(eventually([&] {
    auto charts = cluster.get_json("/host/" + guid + "/api/v1/charts");
    return charts && (*charts)["charts"].contains("tributary_logs.logs_sources_0_lines");
  }));
}

// The bounded CI version of the exactly-once oracle: writers emit numbered lines through rename
// rotations (two naming schemes) and copytruncate, several of which may happen while the agent is
// down, while the agent and the parent are killed (SIGKILL) and restarted at random moments. (A
// file deleted while the agent is down cannot be read by anyone: that case ends in a gap record
// and is covered by the tailer's unit tests.) At the end the parent holds every line exactly
// once, in order within each file generation. TRIB_ORACLE_ROUNDS makes it longer.
TEST(LogsTest, ExactlyOnceOracleWithKills) {
  const char* rounds_env = std::getenv("TRIB_ORACLE_ROUNDS");
  const int rounds = rounds_env != nullptr ? std::atoi(rounds_env) : 4;
  const unsigned seed = static_cast<unsigned>(std::random_device{}());
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 random(seed);
  Cluster cluster;
  cluster.start_parent();
  const std::string dir = cluster.dir() / "oracle-logs";
  fs::create_directories(dir);
  const std::string yaml = logs_yaml("oracle", dir);
  auto agent = cluster.start_agent("oracle", kApiKey, yaml);
  ASSERT_TRUE(eventually([&] { return cluster.reachable(cluster.agent_guid("oracle")); }));
  const std::string guid = cluster.agent_guid("oracle");

  std::vector<std::string> expected;
  std::atomic<bool> writing{true};
  std::mutex mutex;
  // Three writers rotating every 150 lines: by rename to app.log.1, .2, ... and to app.log-1,
  // -2, ...; and by copytruncate (copied to app.log.N, then truncated; writes append).
  enum class Rotation { rename_dot, rename_dash, copytruncate };
  auto writer = [&](const std::string& name, Rotation how) {
    const std::string path = dir + "/" + name + ".log";
    int rotation = 0;
    for (int i = 0; writing; ++i) {
      const std::string line = name + " n=" + std::to_string(i);
      append(path, line + "\n");
      {
        std::lock_guard lock(mutex);
        expected.push_back(line);
      }
      if (i % 150 == 149) {
        ++rotation;
        if (how == Rotation::copytruncate) {
          fs::copy_file(path, path + "." + std::to_string(rotation));
          fs::resize_file(path, 0);
        } else {
          fs::rename(path,
                     path + (how == Rotation::rename_dot ? "." : "-") + std::to_string(rotation));
        }
      }
      std::this_thread::sleep_for(2ms);
    }
  };
  std::thread a(writer, "renamed", Rotation::rename_dot);
  std::thread b(writer, "dashed", Rotation::rename_dash);
  std::thread c(writer, "copied", Rotation::copytruncate);
  for (int round = 0; round < rounds; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300 + random() % 1200));
    if (random() % 2 == 0) {
      agent->kill_hard();
      std::this_thread::sleep_for(std::chrono::milliseconds(random() % 800));
      agent = std::make_unique<Process>(
          agent_binary(),
          std::vector<std::string>{"--config-dir", cluster.dir() / "oracle/etc", "--data-dir",
                                   cluster.dir() / "oracle/data"},
          cluster.dir() / "oracle.log");
    } else {
      cluster.parent().kill_hard();
      std::this_thread::sleep_for(std::chrono::milliseconds(random() % 800));
      cluster.restart_parent();
    }
  }
  writing = false;
  a.join();
  b.join();
  c.join();
  const size_t total = expected.size();
  const bool complete = eventually(
      [&] {
        auto records = all_records(cluster, guid);
        return records && records->size() >= total;
      },
      60s);
  std::this_thread::sleep_for(1s);
  std::vector<nlohmann::json> gaps;
  const auto records = all_records(cluster, guid, &gaps);
  ASSERT_TRUE(records);
  EXPECT_TRUE(complete) << records->size() << " of " << total << " lines";
  EXPECT_EQ(check_exactly_once(*records, expected), "");
  EXPECT_TRUE(gaps.empty()) << gaps.size() << " gaps, first: " << gaps.front().dump();
}

}  // namespace
}  // namespace trib::test
