#include "parent/health/health_service.h"

#include <gtest/gtest.h>

#include <cmath>

#include "common/time/clock.h"
#include "parent/health/alarm_log_file.h"
#include "parent/health/rule_loader.h"
#include "tests/parent/store/store_test_util.h"
#include "tests/support/loop_fixture.h"
#include "tests/support/process.h"

namespace trib::parent::health {
namespace {

using store::testing::make_chart;
using store::testing::make_host;

constexpr const char* kParentGuid = "11111111-1111-4111-8111-111111111111";
constexpr const char* kChildGuid = "22222222-2222-4222-8222-222222222222";

constexpr const char* kCpuRule = R"(alarms:
  - name: cpu_usage
    on: system.cpu
    lookup: average -10s of user,system
    every: 1s
    warn: $this > (($status >= $WARNING) ? 75 : 85)
    crit: $this > (($status == $CRITICAL) ? 85 : 95)
    to: sysadmin
)";

class HealthServiceTest : public test::LoopTest {
 protected:
  HealthServiceTest() {
    options_.last_collected = std::chrono::seconds(60);
    options_.notifications.recipients["sysadmin"] = {"ops@example.com", "+15550100"};
    service_ = std::make_unique<HealthService>(loop_, registry_, clock_, options_);
    service_->set_notify([this](Notification n) { sent_.push_back(std::move(n)); });
  }

  store::Host& child(store::HealthPolicy policy = {}) {
    auto host = registry_.connect(make_host("child", kChildGuid), store_config_, clock_.now_s());
    EXPECT_TRUE(host.ok());
    (*host)->set_health_policy(policy);
    if ((*host)->find_chart("system.cpu") == nullptr) {
      EXPECT_TRUE((*host)->define_chart(make_chart("system.cpu", {"user", "system", "idle"})).ok());
    }
    return **host;
  }

  void rules(const char* yaml) {
    const RuleSet set = parse_rules(yaml, "test.yaml");
    ASSERT_TRUE(set.errors.empty()) << set.errors.front();
    service_->set_rules(set);
  }

  // Stores one sample per second for `seconds` seconds with user + system = busy.
  void feed(store::Host& host, double busy, int seconds) {
    for (int i = 0; i < seconds; ++i) {
      clock_.advance_s(1);
      model::ChartSample sample;
      sample.timestamp = clock_.now_s();
      sample.values = {busy / 2, busy / 2, 100 - busy};
      ASSERT_TRUE(host.store("system.cpu", sample).ok());
      service_->run_once();
    }
  }

  const AlarmInstance* find(std::string_view chart, std::string_view name,
                            std::string_view guid = kChildGuid) const {
    for (const AlarmInstance* a : service_->instances(guid)) {
      if (a->id().chart == chart && a->id().name == name) return a;
    }
    return nullptr;
  }

  AlarmStatus status(std::string_view chart, std::string_view name) const {
    const AlarmInstance* a = find(chart, name);
    return a == nullptr ? AlarmStatus::removed : a->state.status();
  }

  time::ManualClock clock_;
  store::StorageConfig store_config_{store::MemoryMode::ram, 600};
  store::HostRegistry registry_{make_host("parent", kParentGuid, 0), store_config_, clock_.now_s()};
  HealthOptions options_;
  std::unique_ptr<HealthService> service_;
  std::vector<Notification> sent_;
};

TEST_F(HealthServiceTest, CpuAlarmRisesWithHysteresisAndClears) {
  rules(kCpuRule);
  store::Host& host = child();
  feed(host, 50, 12);
  EXPECT_EQ(status("system.cpu", "cpu_usage"), AlarmStatus::clear);
  EXPECT_NEAR(find("system.cpu", "cpu_usage")->state.value(), 50, 1e-3);
  feed(host, 80, 12);  // above 75 but below the raise threshold of 85
  EXPECT_EQ(status("system.cpu", "cpu_usage"), AlarmStatus::clear);
  feed(host, 90, 12);
  EXPECT_EQ(status("system.cpu", "cpu_usage"), AlarmStatus::warning);
  feed(host, 80, 12);  // still above 75: stays raised
  EXPECT_EQ(status("system.cpu", "cpu_usage"), AlarmStatus::warning);
  feed(host, 99, 12);
  EXPECT_EQ(status("system.cpu", "cpu_usage"), AlarmStatus::critical);
  feed(host, 90, 12);  // hysteresis of crit: above 85
  EXPECT_EQ(status("system.cpu", "cpu_usage"), AlarmStatus::critical);
  feed(host, 10, 12);  // the 10 s average falls through 82 (WARNING) to 10
  EXPECT_EQ(status("system.cpu", "cpu_usage"), AlarmStatus::clear);

  ASSERT_EQ(sent_.size(), 4u);
  EXPECT_EQ(sent_[0].entry.new_status, AlarmStatus::warning);
  EXPECT_EQ(sent_[0].entry.alarm.hostname, "child");
  EXPECT_EQ(sent_[0].recipients, (std::vector<std::string>{"ops@example.com", "+15550100"}));
  EXPECT_EQ(sent_[1].entry.new_status, AlarmStatus::critical);
  EXPECT_EQ(sent_[2].entry.new_status, AlarmStatus::warning);
  EXPECT_EQ(sent_[3].entry.new_status, AlarmStatus::clear);
  // UNINITIALIZED -> CLEAR, -> WARNING, -> CRITICAL, -> CLEAR, each with a unique id.
  const auto entries = service_->log().after(0, kChildGuid);
  ASSERT_GE(entries.size(), 4u);
  for (size_t i = 1; i < entries.size(); ++i) {
    EXPECT_GT(entries[i]->unique_id, entries[i - 1]->unique_id);
  }
}

TEST_F(HealthServiceTest, MissingDimensionsAndDivisionByZeroAreUndefined) {
  rules(R"(alarms:
  - name: ghost
    on: system.cpu
    lookup: average -10s of steal_time
    every: 1s
    warn: $this > 1
  - name: ratio
    on: system.cpu
    calc: $user / ($idle - $idle)
    every: 1s
    warn: $this > 1
  - name: unknown_var
    on: system.cpu
    calc: $nonexistent + 1
    every: 1s
    crit: $this > 1
)");
  store::Host& host = child();
  feed(host, 50, 3);
  EXPECT_EQ(status("system.cpu", "ghost"), AlarmStatus::undefined);
  EXPECT_EQ(status("system.cpu", "ratio"), AlarmStatus::undefined);
  EXPECT_EQ(status("system.cpu", "unknown_var"), AlarmStatus::undefined);
  EXPECT_TRUE(sent_.empty());
}

TEST_F(HealthServiceTest, InstancesAppearWithMatchingChartsOnAnyHost) {
  rules(R"(alarms:
  - name: load
    on: system.load
    calc: $load1
    every: 1s
    warn: $this > 4
  - name: only_web
    on: system.cpu
    hosts: web-*
    calc: 1
)");
  store::Host& host = child();
  service_->run_once();
  EXPECT_EQ(find("system.load", "load"), nullptr);
  EXPECT_EQ(find("system.cpu", "only_web"), nullptr);  // host filter
  ASSERT_TRUE(host.define_chart(make_chart("system.load", {"load1", "load5", "load15"})).ok());
  service_->run_once();
  ASSERT_NE(find("system.load", "load"), nullptr);
  // Reloading without the rule removes its instances.
  rules("alarms: []\n");
  EXPECT_EQ(find("system.load", "load"), nullptr);
}

TEST_F(HealthServiceTest, LostHostRaisesLastCollectedButAStoppedOneDoesNot) {
  store::Host& host = child();
  feed(host, 10, 5);
  registry_.disconnect(kChildGuid, clock_.now_s(), store::Disconnect::lost);
  clock_.advance_s(30);
  service_->run_once();
  EXPECT_EQ(status(kHostChart, kLastCollected), AlarmStatus::clear);
  clock_.advance_s(31);
  service_->run_once();
  EXPECT_EQ(status(kHostChart, kLastCollected), AlarmStatus::critical);
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(sent_[0].entry.alarm.name, "last_collected");
  EXPECT_EQ(sent_[0].entry.new_status, AlarmStatus::critical);

  // It comes back: the alarm clears and the recovery is notified.
  child();
  feed(host, 10, 2);
  EXPECT_EQ(status(kHostChart, kLastCollected), AlarmStatus::clear);
  ASSERT_EQ(sent_.size(), 2u);
  EXPECT_EQ(sent_[1].entry.new_status, AlarmStatus::clear);

  // A clean stop (goodbye) raises nothing, however long it lasts.
  registry_.disconnect(kChildGuid, clock_.now_s(), store::Disconnect::stopped);
  clock_.advance_s(600);
  service_->run_once();
  EXPECT_EQ(status(kHostChart, kLastCollected), AlarmStatus::clear);
  EXPECT_EQ(sent_.size(), 2u);
}

TEST_F(HealthServiceTest, AChartThatStopsUpdatingOnALiveHostRaisesLastCollected) {
  store::Host& host = child();
  ASSERT_TRUE(host.define_chart(make_chart("disk.sda", {"reads"})).ok());
  model::ChartSample once;
  once.timestamp = clock_.now_s() + 1;
  once.values = {1};
  ASSERT_TRUE(host.store("disk.sda", once).ok());
  feed(host, 10, 30);
  EXPECT_EQ(find("disk.sda", kLastCollected), nullptr);  // not created while fresh
  feed(host, 10, 40);
  EXPECT_EQ(status("disk.sda", kLastCollected), AlarmStatus::warning);
  EXPECT_EQ(status(kHostChart, kLastCollected), AlarmStatus::clear);
}

TEST_F(HealthServiceTest, AutoRunsRulesOnlyWhileConnectedAndNoRunsNothing) {
  rules(kCpuRule);
  store::HealthPolicy automatic;
  automatic.mode = store::HealthPolicy::Mode::automatic;
  store::Host& host = child(automatic);
  feed(host, 90, 12);
  EXPECT_EQ(status("system.cpu", "cpu_usage"), AlarmStatus::warning);
  registry_.disconnect(kChildGuid, clock_.now_s(), store::Disconnect::lost);
  service_->run_once();
  EXPECT_EQ(find("system.cpu", "cpu_usage"), nullptr);   // dropped with the connection
  EXPECT_NE(find(kHostChart, kLastCollected), nullptr);  // still watching for its return
  EXPECT_EQ(service_->log().entries().back().new_status, AlarmStatus::removed);

  store::HealthPolicy off;
  off.mode = store::HealthPolicy::Mode::no;
  child(off);
  feed(host, 90, 12);
  EXPECT_TRUE(service_->instances(kChildGuid).empty());
}

TEST_F(HealthServiceTest, AHostWithoutStoreHasOnlyLastCollected) {
  rules(kCpuRule);
  store_config_ = store::StorageConfig{store::MemoryMode::none, 5};
  store::Host& host = child();
  feed(host, 99, 3);
  const auto instances = service_->instances(kChildGuid);
  ASSERT_EQ(instances.size(), 1u);
  EXPECT_EQ(instances[0]->id().name, kLastCollected);
}

TEST_F(HealthServiceTest, PostponeAfterConnect) {
  rules(kCpuRule);
  store::HealthPolicy postponed;
  postponed.postpone_s = 20;
  store::Host& host = child(postponed);
  feed(host, 99, 15);
  EXPECT_EQ(status("system.cpu", "cpu_usage"), AlarmStatus::uninitialized);
  feed(host, 99, 10);
  EXPECT_EQ(status("system.cpu", "cpu_usage"), AlarmStatus::critical);
}

TEST_F(HealthServiceTest, SilencedAndDisabledAlarms) {
  rules(kCpuRule);
  store::Host& host = child();
  Silencers silencers;
  silencers.type = Silencers::Type::silence;
  silencers.selectors.emplace_back().alarms = config::SimplePattern("cpu_*");
  ASSERT_TRUE(service_->set_silencers(silencers).ok());
  feed(host, 99, 12);
  EXPECT_EQ(status("system.cpu", "cpu_usage"), AlarmStatus::critical);
  EXPECT_TRUE(find("system.cpu", "cpu_usage")->silenced);
  EXPECT_TRUE(sent_.empty());

  silencers.type = Silencers::Type::disable;
  ASSERT_TRUE(service_->set_silencers(silencers).ok());
  feed(host, 10, 12);
  EXPECT_EQ(status("system.cpu", "cpu_usage"), AlarmStatus::critical);  // not evaluated

  ASSERT_TRUE(service_->set_silencers(Silencers{}).ok());
  feed(host, 10, 12);
  EXPECT_EQ(status("system.cpu", "cpu_usage"), AlarmStatus::clear);
}

TEST_F(HealthServiceTest, SilencersSurviveARestart) {
  test::TempDir dir;
  const std::string path = dir / "health/health.silencers.json";
  ASSERT_TRUE(service_->keep_silencers_in(path).ok());
  Silencers silencers;
  silencers.type = Silencers::Type::silence;
  silencers.selectors.emplace_back().hosts = config::SimplePattern("child");
  ASSERT_TRUE(service_->set_silencers(silencers).ok());

  // A restart: a new service over the same file, with the silencers before the first alarm.
  service_ = std::make_unique<HealthService>(loop_, registry_, clock_, options_);
  service_->set_notify([this](Notification n) { sent_.push_back(std::move(n)); });
  ASSERT_TRUE(service_->keep_silencers_in(path).ok());
  EXPECT_EQ(service_->silencers(), silencers);
  rules(kCpuRule);
  feed(child(), 99, 12);
  EXPECT_EQ(status("system.cpu", "cpu_usage"), AlarmStatus::critical);
  EXPECT_TRUE(find("system.cpu", "cpu_usage")->silenced);
  EXPECT_TRUE(sent_.empty());

  // RESET clears the file too.
  ASSERT_TRUE(service_->set_silencers(Silencers{}).ok());
  HealthService restarted(loop_, registry_, clock_, options_);
  ASSERT_TRUE(restarted.keep_silencers_in(path).ok());
  EXPECT_EQ(restarted.silencers(), Silencers{});
}

TEST_F(HealthServiceTest, AnUnreadableSilencersFileIsAnErrorAndNotOverwritten) {
  test::TempDir dir;
  const std::string path = dir / "health.silencers.json";
  test::write_file(path, "{\"type\": \"SILENCE\", \"silencers\": [{\"alarm\": 1}]}");
  const Status kept = service_->keep_silencers_in(path);
  ASSERT_FALSE(kept.ok());
  EXPECT_NE(kept.error().message.find(path), std::string::npos);
  // Changes still apply, but the operator's file stays as it is until fixed.
  Silencers all;
  all.all = true;
  ASSERT_TRUE(service_->set_silencers(all).ok());
  EXPECT_EQ(test::read_file(path), "{\"type\": \"SILENCE\", \"silencers\": [{\"alarm\": 1}]}");
}

// A restart as the parent does it: a new service whose log comes back from the alarm log file
// every entry (and every notification decision) was appended to.
class HealthRestartTest : public HealthServiceTest {
 protected:
  HealthRestartTest() { keep_log(); }

  void keep_log() {
    auto file = AlarmLogFile::open(dir_ / "health", 1000);
    ASSERT_TRUE(file.ok());
    file_ = std::make_unique<AlarmLogFile>(std::move(file).value());
    service_->restore_log(file_->load());
    service_->set_persist([this](const AlarmLogEntry& e) { ASSERT_TRUE(file_->append(e).ok()); });
  }
  void restart(const char* rule_yaml) {
    service_ = std::make_unique<HealthService>(loop_, registry_, clock_, options_);
    service_->set_notify([this](Notification n) { sent_.push_back(std::move(n)); });
    keep_log();
    rules(rule_yaml);
  }
  std::vector<uint64_t> ids() const {
    std::vector<uint64_t> out;
    for (const auto* e : service_->log().after(0, kChildGuid)) out.push_back(e->unique_id);
    return out;
  }

  test::TempDir dir_;
  std::unique_ptr<AlarmLogFile> file_;
};

TEST_F(HealthRestartTest, ARaisedAlarmComesBackWithoutANewTransitionOrNotification) {
  rules(kCpuRule);
  store::Host& host = child();
  feed(host, 99, 12);
  ASSERT_EQ(status("system.cpu", "cpu_usage"), AlarmStatus::critical);
  ASSERT_EQ(sent_.size(), 1u);
  const uint32_t alarm_id = find("system.cpu", "cpu_usage")->id().alarm_id;
  const std::vector<uint64_t> before = ids();

  restart(kCpuRule);
  EXPECT_EQ(ids(), before);  // the same entries, the same unique ids
  feed(host, 99, 12);
  const AlarmInstance* again = find("system.cpu", "cpu_usage");
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->state.status(), AlarmStatus::critical);
  EXPECT_EQ(again->id().alarm_id, alarm_id);
  EXPECT_EQ(ids(), before);     // still CRITICAL: no transition
  EXPECT_EQ(sent_.size(), 1u);  // and no second CRITICAL

  // What happens after the restart is numbered after what came before, and the fall of the
  // raise notified before the restart is notified (through WARNING to CLEAR).
  feed(host, 10, 12);
  EXPECT_EQ(status("system.cpu", "cpu_usage"), AlarmStatus::clear);
  ASSERT_EQ(sent_.size(), 3u);
  EXPECT_EQ(sent_[1].entry.new_status, AlarmStatus::warning);
  EXPECT_EQ(sent_[1].entry.old_status, AlarmStatus::critical);
  EXPECT_GT(sent_[1].entry.unique_id, before.back());
  EXPECT_EQ(sent_[1].entry.alarm.alarm_id, alarm_id);
  EXPECT_EQ(sent_[1].entry.alarm_event_id, sent_[0].entry.alarm_event_id + 1);
  EXPECT_EQ(sent_[2].entry.new_status, AlarmStatus::clear);
}

TEST_F(HealthRestartTest, AClearAlarmDoesNotNotifyItsFirstEvaluationAfterARestart) {
  rules(kCpuRule);
  store::Host& host = child();
  feed(host, 10, 12);
  ASSERT_EQ(status("system.cpu", "cpu_usage"), AlarmStatus::clear);
  restart(kCpuRule);
  feed(host, 10, 12);
  EXPECT_EQ(status("system.cpu", "cpu_usage"), AlarmStatus::clear);
  feed(host, 90, 12);  // a raise after the restart is notified as usual
  EXPECT_EQ(status("system.cpu", "cpu_usage"), AlarmStatus::warning);
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(sent_[0].entry.new_status, AlarmStatus::warning);
}

TEST_F(HealthRestartTest, ANotificationStillDelayedAtTheStopIsSentAfterTheRestart) {
  constexpr const char* kDelayed = R"(alarms:
  - name: busy
    on: system.cpu
    lookup: max -2s of user
    every: 1s
    warn: $this > 40
    delay: {up: 10s}
)";
  rules(kDelayed);
  store::Host& host = child();
  feed(host, 100, 3);
  ASSERT_EQ(status("system.cpu", "busy"), AlarmStatus::warning);
  ASSERT_TRUE(sent_.empty());
  restart(kDelayed);
  feed(host, 100, 12);
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(sent_[0].entry.new_status, AlarmStatus::warning);
  // Nothing new in the log: busy's -> WARNING and host.last_collected's -> CLEAR from before.
  EXPECT_EQ(ids().size(), 2u);
}

TEST_F(HealthServiceTest, DelayedNotificationsWaitForTheirTime) {
  rules(R"(alarms:
  - name: busy
    on: system.cpu
    lookup: max -2s of user
    every: 1s
    warn: $this > 40
    delay: {up: 10s}
)");
  store::Host& host = child();
  feed(host, 100, 3);
  EXPECT_EQ(status("system.cpu", "busy"), AlarmStatus::warning);
  EXPECT_TRUE(sent_.empty());
  feed(host, 100, 10);
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(sent_[0].entry.delay, 10);
}

}  // namespace
}  // namespace trib::parent::health
