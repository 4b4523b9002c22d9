// Health end to end (issue 8): real parent and agents on loopback.
//  - an agent's CPU alarm fires and clears (a rule whose threshold is changed by SIGHUP),
//  - a killed agent raises last_collected, a cleanly stopped one does not,
//  - the notifier script receives each of these notifications,
//  - a parent restarted over the same data dir keeps the alarm log of a dbengine host (same
//    unique ids, new ones after them), its silencers, and brings a raised alarm back without a
//    second notification or a spurious CLEAR.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <csignal>
#include <ctime>
#include <map>
#include <sstream>
#include <thread>

#include "tests/integration/cluster.h"

namespace trib::test {
namespace {

std::string cpu_rule(const std::string& crit) {
  return "alarms:\n"
         "  - name: cpu_busy\n"
         "    on: system.cpu\n"
         "    lookup: average -3s of user,system,nice,iowait,irq,softirq,steal\n"
         "    every: 1s\n"
         "    crit: " +
         crit +
         "\n"
         "    to: sysadmin\n";
}

class HealthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto etc = cluster_.dir() / "parent/etc";
    notified_ = cluster_.dir() / "notified.txt";
    const auto script = cluster_.dir() / "notify.sh";
    // One line per notification: recipients, host, alarm, chart, status.
    write_file(script,
               "#!/bin/sh\nprintf '%s|%s|%s|%s|%s\\n' \"$1\" \"$2\" \"$7\" \"$8\" \"${10}\" >> '" +
                   notified_ + "'\n");
    ::chmod(script.c_str(), 0755);
    cluster_.write_parent_yaml("health:\n  last_collected: 5s\n  notifications:\n    exec: " +
                               script + "\n    recipients: {sysadmin: [ops]}\n");
    write_file(etc + "/health.d/cpu.yaml", cpu_rule("$this >= 0"));
    cluster_.start_parent("  default postpone alarms on connect seconds = 0\n");
  }

  std::string notifications() const { return read_file(notified_); }
  bool notified(const std::string& line) const {
    return notifications().find(line + "\n") != std::string::npos;
  }

  std::optional<std::string> alarm_status(const std::string& host, const std::string& key) {
    auto alarms = cluster_.get_json("/host/" + host + "/api/v1/alarms?all");
    if (!alarms || !(*alarms)["alarms"].contains(key)) return std::nullopt;
    return (*alarms)["alarms"][key]["status"].get<std::string>();
  }

  Cluster cluster_;
  std::string notified_;
};

TEST_F(HealthTest, CpuAlarmFiresAndClearsAndLostHostsRaiseLastCollected) {
  auto killed = cluster_.start_agent("killed-agent");
  auto stopped = cluster_.start_agent("stopped-agent");

  // Fires: every CPU reading is >= 0.
  ASSERT_TRUE(eventually([&] { return notified("ops|killed-agent|cpu_busy|system.cpu|CRITICAL"); },
                         std::chrono::seconds(20)))
      << notifications() << cluster_.parent_log();
  EXPECT_EQ(alarm_status("killed-agent", "system.cpu.cpu_busy"), "CRITICAL");
  const auto raised = cluster_.get_json("/host/killed-agent/api/v1/alarms");
  ASSERT_TRUE(raised.has_value());
  EXPECT_TRUE((*raised)["alarms"].contains("system.cpu.cpu_busy"));

  // Clears: the rule now needs more than 100 % (SIGHUP reloads health.d).
  write_file_atomically(cluster_.dir() / "parent/etc/health.d/cpu.yaml", cpu_rule("$this > 1000"));
  cluster_.parent().signal(SIGHUP);
  ASSERT_TRUE(eventually([&] { return notified("ops|killed-agent|cpu_busy|system.cpu|CLEAR"); },
                         std::chrono::seconds(20)))
      << notifications();
  EXPECT_EQ(alarm_status("killed-agent", "system.cpu.cpu_busy"), "CLEAR");

  // A clean stop sends a goodbye; a kill does not.
  ASSERT_TRUE(eventually([&] { return notified("ops|stopped-agent|cpu_busy|system.cpu|CLEAR"); },
                         std::chrono::seconds(20)));
  EXPECT_EQ(stopped->stop(), 0);
  killed->kill_hard();
  ASSERT_TRUE(eventually([&] { return notified("ops|killed-agent|last_collected|host|CRITICAL"); },
                         std::chrono::seconds(30)))
      << notifications() << cluster_.parent_log();
  EXPECT_EQ(alarm_status("killed-agent", "host.last_collected"), "CRITICAL");
  // Well past the 5 s limit for the stopped one too: nothing raised.
  std::this_thread::sleep_for(std::chrono::seconds(3));
  EXPECT_EQ(notifications().find("stopped-agent|last_collected"), std::string::npos)
      << notifications();
  EXPECT_NE(alarm_status("stopped-agent", "host.last_collected"), "CRITICAL");

  const auto log = cluster_.get_json("/host/killed-agent/api/v1/alarm_log");
  ASSERT_TRUE(log.has_value());
  bool logged = false;
  for (const auto& entry : *log) {
    logged = logged || (entry["name"] == "last_collected" && entry["status"] == "CRITICAL");
  }
  EXPECT_TRUE(logged);
}

constexpr const char* kAdminToken = "integration-admin-token";

std::string two_cpu_rules(const std::string& busy_crit, const std::string& quiet_crit) {
  return "alarms:\n"
         "  - name: cpu_busy\n"
         "    on: system.cpu\n"
         "    lookup: average -3s of user,system,nice,iowait,irq,softirq,steal\n"
         "    every: 1s\n"
         "    crit: " +
         busy_crit +
         "\n"
         "    to: sysadmin\n"
         "  - name: cpu_quiet\n"
         "    on: system.cpu\n"
         "    lookup: average -3s of user,system\n"
         "    every: 1s\n"
         "    crit: " +
         quiet_crit +
         "\n"
         "    to: sysadmin\n";
}

size_t count_lines(const std::string& text, const std::string& line) {
  size_t count = 0;
  for (size_t at = text.find(line + "\n"); at != std::string::npos;
       at = text.find(line + "\n", at + 1)) {
    if (at == 0 || text[at - 1] == '\n') ++count;
  }
  return count;
}

class HealthRestartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    notified_ = cluster_.dir() / "notified.txt";
    const auto script = cluster_.dir() / "notify.sh";
    write_file(script,
               "#!/bin/sh\nprintf '%s|%s|%s|%s|%s\\n' \"$1\" \"$2\" \"$7\" \"$8\" \"${10}\" >> '" +
                   notified_ + "'\n");
    ::chmod(script.c_str(), 0755);
    cluster_.write_parent_yaml(
        "health:\n  notifications:\n    exec: " + script +
        "\n    recipients: {sysadmin: [ops]}\nfleet:\n  admin_token: " + kAdminToken + "\n");
    write_file(cluster_.dir() / "parent/etc/health.d/cpu.yaml",
               two_cpu_rules("$this >= 0", "$this > 1000"));
    // The postpone gives a reconnecting agent time to send data before the first evaluation
    // (with none in the window the alarm would read UNDEFINED for a moment, as in Netdata).
    cluster_.start_parent_with_stream_conf(std::string("[") + kApiKey +
                                           "]\n  enabled = yes\n  default memory mode = dbengine\n"
                                           "  default postpone alarms on connect seconds = 5\n");
  }

  std::string notifications() const { return read_file(notified_); }

  // GET with the admin token; returns the status line and body.
  std::string manage(const std::string& query) {
    return raw_exchange(cluster_.port(), "GET /api/v1/manage/health?" + query +
                                             " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Auth-Token: " +
                                             kAdminToken + "\r\nConnection: close\r\n\r\n");
  }

  std::optional<nlohmann::json> alarm(const std::string& host, const std::string& key) {
    auto alarms = cluster_.get_json("/host/" + host + "/api/v1/alarms?all");
    if (!alarms || !(*alarms)["alarms"].contains(key)) return std::nullopt;
    return (*alarms)["alarms"][key];
  }

  // unique_id -> "name status" of the host's alarm log.
  std::map<uint64_t, std::string> alarm_log(const std::string& host) {
    std::map<uint64_t, std::string> out;
    auto log = cluster_.get_json("/host/" + host + "/api/v1/alarm_log");
    if (!log) return out;
    for (const auto& e : *log) {
      out[e["unique_id"].get<uint64_t>()] =
          e["name"].get<std::string>() + " " + e["status"].get<std::string>();
    }
    return out;
  }

  Cluster cluster_;
  std::string notified_;
};

TEST_F(HealthRestartTest, AlarmLogSilencersAndRaisedAlarmsSurviveAParentRestart) {
  auto agent = cluster_.start_agent("db-agent");
  const std::string raised = "ops|db-agent|cpu_busy|system.cpu|CRITICAL";
  ASSERT_TRUE(eventually([&] { return count_lines(notifications(), raised) == 1; },
                         std::chrono::seconds(30)))
      << notifications() << cluster_.parent_log();
  const std::string silenced = manage("cmd=SILENCE&alarm=cpu_quiet");
  ASSERT_EQ(silenced.rfind("HTTP/1.1 200", 0), 0u) << silenced;
  ASSERT_TRUE(eventually([&] {
    auto quiet = alarm("db-agent", "system.cpu.cpu_quiet");
    return quiet && (*quiet)["status"] == "CLEAR" && (*quiet)["silenced"] == true;
  }));
  const std::map<uint64_t, std::string> before = alarm_log("db-agent");
  ASSERT_FALSE(before.empty());
  const uint64_t newest_before = before.rbegin()->first;

  EXPECT_EQ(cluster_.parent().stop(), 0) << cluster_.parent_log();  // SIGTERM
  cluster_.restart_parent();

  // The log is back with its ids, before the agent has even reconnected.
  const std::map<uint64_t, std::string> restored = alarm_log("db-agent");
  for (const auto& [id, what] : before) {
    EXPECT_EQ(restored.count(id) ? restored.at(id) : "missing", what) << "unique id " << id;
  }
  // The agent reconnects; its raised alarm comes back CRITICAL (evaluated again after the
  // restart, not only resumed), the silencer still applies.
  const int64_t restarted_at = std::time(nullptr);
  ASSERT_TRUE(eventually(
      [&] {
        auto busy = alarm("db-agent", "system.cpu.cpu_busy");
        return busy && (*busy)["status"] == "CRITICAL" &&
               (*busy)["last_updated"].get<int64_t>() >= restarted_at;
      },
      std::chrono::seconds(30)))
      << cluster_.parent_log();
  auto quiet = alarm("db-agent", "system.cpu.cpu_quiet");
  ASSERT_TRUE(quiet.has_value());
  EXPECT_EQ((*quiet)["silenced"], true);
  const std::string list = manage("cmd=LIST");
  EXPECT_NE(list.find("\"alarm\": \"cpu_quiet\""), std::string::npos) << list;
  std::this_thread::sleep_for(std::chrono::seconds(3));  // a few evaluations after the return
  EXPECT_EQ(count_lines(notifications(), raised), 1u) << notifications();
  EXPECT_EQ(notifications().find("db-agent|cpu_busy|system.cpu|CLEAR"), std::string::npos)
      << notifications();
  for (const auto& [id, what] : alarm_log("db-agent")) {
    if (id > newest_before) ADD_FAILURE() << "a transition at restart: " << id << " " << what;
  }

  // Later transitions are numbered after the old ones; the notified raise gets its CLEAR; the
  // silenced alarm raises without a notification.
  write_file_atomically(cluster_.dir() / "parent/etc/health.d/cpu.yaml",
                        two_cpu_rules("$this > 1000", "$this >= 0"));
  cluster_.parent().signal(SIGHUP);
  ASSERT_TRUE(eventually(
      [&] { return count_lines(notifications(), "ops|db-agent|cpu_busy|system.cpu|CLEAR") == 1; },
      std::chrono::seconds(20)))
      << notifications() << cluster_.parent_log();
  ASSERT_TRUE(eventually([&] {
    auto q = alarm("db-agent", "system.cpu.cpu_quiet");
    return q && (*q)["status"] == "CRITICAL";
  }));
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_EQ(notifications().find("db-agent|cpu_quiet"), std::string::npos) << notifications();
  const auto after = alarm_log("db-agent");
  ASSERT_GT(after.rbegin()->first, newest_before);
  EXPECT_EQ(after.rbegin()->second.find("cpu_"), 0u);
}

}  // namespace
}  // namespace trib::test
