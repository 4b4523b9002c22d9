// Health end to end (issue 8): real parent and agents on loopback.
//  - an agent's CPU alarm fires and clears (a rule whose threshold is changed by SIGHUP),
//  - a killed agent raises last_collected, a cleanly stopped one does not,
//  - the notifier script receives each of these notifications.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <csignal>
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

}  // namespace
}  // namespace trib::test
