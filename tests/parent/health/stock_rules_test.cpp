// The stock rules of conf/health.d parse, and each applies to a chart the agent really emits
// (its collectors, its log charts, the spool chart of agents and proxies).
#include <gtest/gtest.h>

#include <mutex>
#include <set>
#include <thread>

#include "common/collectors/collector_thread.h"
#include "common/stream/spool_chart.h"
#include "common/time/clock.h"
#include "parent/health/health_service.h"
#include "parent/health/rule_loader.h"
#include "tests/parent/store/store_test_util.h"
#include "tests/support/loop_fixture.h"

namespace trib::parent::health {
namespace {

// Charts of agent/logs/log_charts.cpp (agent-only code, not linked into parent_tests).
const std::set<std::string> kAgentLogContexts{"tributary_logs.lag", "tributary_logs.lines",
                                              "tributary_logs.bytes", "tributary_logs.events",
                                              "tributary_logs.pinned"};
// Charts the collectors define only when the machine has them (swap, a filesystem with inodes,
// an interface with errors), so a test machine may lack them; their ids are in
// common/collectors/proc_meminfo.cpp, disk_space.cpp and proc_net_dev.cpp.
const std::set<std::string> kConditionalContexts{"system.swap", "disk.space", "disk.inodes",
                                                 "net.errors", "net.drops"};

std::set<std::string> collected_ids_and_contexts() {
  std::mutex mutex;
  std::set<std::string> seen;
  collectors::CollectorThread thread(collectors::host_context("stock-rules-test", {}, 1),
                                     [&](collectors::CollectedBatch batch) {
                                       std::lock_guard lock(mutex);
                                       for (const auto& def : batch.definitions) {
                                         seen.insert(def.id);
                                         seen.insert(def.context);
                                       }
                                     });
  thread.start(collectors::default_collector_options(), {});
  for (int i = 0; i < 50; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::lock_guard lock(mutex);
    if (seen.count("system.cpu") != 0 && seen.count("system.load") != 0) break;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));  // slower collectors' first round
  thread.stop();
  std::lock_guard lock(mutex);
  // Published by the agent's and the proxy's network code, not by a collector.
  const model::ChartDef spool = stream::spool_chart("test");
  seen.insert(spool.id);
  seen.insert(spool.context);
  return seen;
}

TEST(StockRules, ParseAndMatchTheAgentsCharts) {
  const RuleSet set = load_rules(std::string(TRIB_SOURCE_DIR) + "/conf/health.d");
  for (const auto& error : set.errors) ADD_FAILURE() << error;
  ASSERT_GE(set.rules.size(), 12u);
  const std::set<std::string> real = collected_ids_and_contexts();
  ASSERT_TRUE(real.count("system.cpu")) << "the collectors emitted nothing";
  std::set<std::string> names;
  for (const auto& rule : set.rules) {
    EXPECT_TRUE(names.insert(rule->name).second) << "duplicate rule name " << rule->name;
    const bool matches = real.count(rule->on) != 0 || kAgentLogContexts.count(rule->on) != 0 ||
                         kConditionalContexts.count(rule->on) != 0;
    EXPECT_TRUE(matches) << rule->source << ": '" << rule->on
                         << "' is not a chart id or context the agent emits";
    EXPECT_FALSE(rule->to.empty()) << rule->source;
    EXPECT_TRUE(rule->warn.has_value() || rule->crit.has_value()) << rule->source;
  }
  for (const char* required : {"system.cpu", "system.ram", "system.load"}) {
    EXPECT_TRUE(real.count(required)) << required;
  }
  EXPECT_TRUE(names.count("spool_fill"));
}

class StockSpoolRule : public test::LoopTest {
 protected:
  // Feeds the spool chart `seconds` samples at `percent` of its bound, one pass per second.
  void fill(store::Host& host, double percent, int seconds) {
    for (int i = 0; i < seconds; ++i) {
      clock_.advance_s(1);
      const stream::SpoolFill fill{static_cast<uint64_t>(percent * 1024 * 1024), 100 * 1024 * 1024};
      ASSERT_TRUE(host.store(stream::kSpoolChart, stream::spool_sample(fill, clock_.now_s())).ok());
      service_.run_once();
    }
  }
  AlarmStatus status() const {
    for (const AlarmInstance* a : service_.instances(kAgentGuid)) {
      if (a->id().name == "spool_fill") return a->state.status();
    }
    return AlarmStatus::removed;
  }

  static constexpr const char* kAgentGuid = "22222222-2222-4222-8222-222222222222";
  time::ManualClock clock_;
  store::StorageConfig storage_{store::MemoryMode::ram, 600};
  store::HostRegistry registry_{
      store::testing::make_host("parent", "11111111-1111-4111-8111-111111111111", 0), storage_,
      clock_.now_s()};
  HealthService service_{loop_, registry_, clock_, HealthOptions{}};
};

TEST_F(StockSpoolRule, AFillingSpoolWarnsThenGoesCritical) {
  service_.set_rules(load_rules(std::string(TRIB_SOURCE_DIR) + "/conf/health.d"));
  auto host =
      registry_.connect(store::testing::make_host("agent-1", kAgentGuid), storage_, clock_.now_s());
  ASSERT_TRUE(host.ok());
  ASSERT_TRUE((*host)->define_chart(stream::spool_chart("agent")).ok());
  fill(**host, 10, 20);
  EXPECT_EQ(status(), AlarmStatus::clear);
  fill(**host, 80, 20);
  EXPECT_EQ(status(), AlarmStatus::warning);
  fill(**host, 95, 20);
  EXPECT_EQ(status(), AlarmStatus::critical);
}

}  // namespace
}  // namespace trib::parent::health
