#include "parent/health/alarm_log_file.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

namespace trib::parent::health {
namespace {

AlarmLogEntry entry(uint64_t id) {
  AlarmLogEntry e;
  e.unique_id = id;
  e.alarm_event_id = id;
  e.alarm.alarm_id = 5;
  e.alarm.hostname = "web-1 \"quoted\"";
  e.alarm.host_guid = "g";
  e.alarm.name = "cpu_usage";
  e.when = 1'700'000'000 + static_cast<int64_t>(id);
  e.old_status = AlarmStatus::clear;
  e.new_status = AlarmStatus::critical;
  e.new_value = 97.5;
  e.old_value = std::numeric_limits<double>::quiet_NaN();
  return e;
}

class AlarmLogFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("trib_alarm_log_file_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(AlarmLogFileTest, EntriesSurviveAReopen) {
  {
    auto file = AlarmLogFile::open(dir_.string(), 10);
    ASSERT_TRUE(file.ok());
    EXPECT_TRUE(file->load().empty());
    for (uint64_t id = 1; id <= 3; ++id) ASSERT_TRUE(file->append(entry(id)).ok());
  }
  std::ofstream(dir_ / "alarm-log.jsonl", std::ios::app) << "{\"unique_id\": 4, \"na";  // torn
  auto file = AlarmLogFile::open(dir_.string(), 10);
  ASSERT_TRUE(file.ok());
  const auto back = file->load();
  ASSERT_EQ(back.size(), 3u);
  EXPECT_EQ(back[2].unique_id, 3u);
  EXPECT_EQ(back[2].alarm.hostname, "web-1 \"quoted\"");
  EXPECT_EQ(back[2].new_status, AlarmStatus::critical);
  EXPECT_EQ(back[2].new_value, 97.5);
  EXPECT_TRUE(std::isnan(back[2].old_value));
  EXPECT_FALSE(back[2].processed);  // written when it happened, not decided yet

  AlarmLog log;
  for (const auto& e : back) log.restore(e);
  EXPECT_EQ(log.append(AlarmLogEntry{}).unique_id, 4u);  // numbering continues
}

TEST_F(AlarmLogFileTest, TheLastLineOfAnEntryWins) {
  auto file = AlarmLogFile::open(dir_.string(), 10);
  ASSERT_TRUE(file.ok());
  for (uint64_t id = 1; id <= 3; ++id) ASSERT_TRUE(file->append(entry(id)).ok());
  AlarmLogEntry decided = entry(2);
  decided.processed = true;
  decided.notified = true;
  ASSERT_TRUE(file->append(decided).ok());  // its notification was sent after entry 3 happened
  std::ofstream(dir_ / "alarm-log.jsonl", std::ios::app)
      << R"({"unique_id": 4, "name": "from an older version", "status": "CLEAR"})" << '\n';
  const auto back = file->load();
  ASSERT_EQ(back.size(), 4u);
  EXPECT_EQ(back[1].unique_id, 2u);
  EXPECT_TRUE(back[1].processed);
  EXPECT_TRUE(back[1].notified);
  EXPECT_FALSE(back[2].processed);
  EXPECT_TRUE(back[3].processed);  // lines without the field were all decided
  EXPECT_EQ(back[3].alarm.name, "from an older version");
}

TEST_F(AlarmLogFileTest, CompactsToTheNewestEntries) {
  auto file = AlarmLogFile::open(dir_.string(), 5);
  ASSERT_TRUE(file.ok());
  for (uint64_t id = 1; id <= 23; ++id) ASSERT_TRUE(file->append(entry(id)).ok());
  const auto back = file->load();
  ASSERT_EQ(back.size(), 5u);
  EXPECT_EQ(back.front().unique_id, 19u);
  std::ifstream in(dir_ / "alarm-log.jsonl");
  size_t lines = 0;
  for (std::string line; std::getline(in, line);) ++lines;
  EXPECT_LE(lines, 10u);
}

}  // namespace
}  // namespace trib::parent::health
