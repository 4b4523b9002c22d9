// The stock rules of conf/health.d parse, and each applies to a chart the agent really emits.
#include <gtest/gtest.h>

#include <mutex>
#include <set>
#include <thread>

#include "common/collectors/collector_thread.h"
#include "parent/health/rule_loader.h"

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
}

}  // namespace
}  // namespace trib::parent::health
