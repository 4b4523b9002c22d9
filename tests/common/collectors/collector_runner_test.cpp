#include "common/collectors/collector_runner.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "support/log_capture.h"
#include "support/loop_fixture.h"

namespace trib::collectors {
namespace {

using namespace std::chrono_literals;

// proc.stat is rate-based: its first run only primes its counters, so system.cpu samples come
// from its second run on. proc.loadavg has no rates: it emits from its first run.
constexpr const char* kRate = "proc.stat";
constexpr const char* kPlain = "proc.loadavg";

CollectorContext fixture_context() {
  CollectorContext context;
  const std::string root = std::string(TRIB_TEST_FIXTURES) + "/proc/basic/step1";
  context.paths = {root + "/proc", root + "/sys"};
  context.self_pid = 1;
  return context;
}

std::map<std::string, CollectorOptions> enabled(std::initializer_list<const char*> names) {
  std::map<std::string, CollectorOptions> options;
  for (const auto& info : registry()) {
    options[std::string(info.name)].enabled = false;
  }
  for (const char* name : names) options[name].enabled = true;
  return options;
}

bool has_samples_of(const CollectedBatch& batch, const std::string& chart_id) {
  return std::any_of(batch.samples.begin(), batch.samples.end(),
                     [&](const auto& s) { return s.first == chart_id; });
}

bool mentions(const CollectedBatch& batch, const std::string& chart_id) {
  return has_samples_of(batch, chart_id) ||
         std::any_of(batch.definitions.begin(), batch.definitions.end(),
                     [&](const auto& d) { return d.id == chart_id; });
}

class CollectorRunnerTest : public test::LoopTest {
 protected:
  CollectorRunnerTest()
      : runner_(std::make_unique<CollectorRunner>(
            loop_, fixture_context(), [this](CollectedBatch batch) { on_batch(batch); })) {}
  void TearDown() override {
    runner_.reset();
    LoopTest::TearDown();
  }

  void on_batch(const CollectedBatch& batch) {
    // Definitions travel before (or with) the first samples of their chart.
    for (const auto& def : batch.definitions) defined_.insert(def.id);
    for (const auto& [chart_id, sample] : batch.samples) {
      EXPECT_TRUE(defined_.contains(chart_id)) << chart_id << " sampled before it was defined";
    }
    batches_.push_back(batch);
  }

  // The first batch from the system.cpu chart's collector delivered after `from`.
  const CollectedBatch& next_cpu_batch(size_t from) {
    run_until([&] {
      return std::any_of(batches_.begin() + static_cast<std::ptrdiff_t>(from), batches_.end(),
                         [](const auto& b) { return mentions(b, "system.cpu"); });
    });
    return *std::find_if(batches_.begin() + static_cast<std::ptrdiff_t>(from), batches_.end(),
                         [](const auto& b) { return mentions(b, "system.cpu"); });
  }

  std::unique_ptr<CollectorRunner> runner_;
  std::vector<CollectedBatch> batches_;
  std::set<std::string> defined_;
};

TEST_F(CollectorRunnerTest, StartsOnlyTheEnabledCollectors) {
  runner_->apply(enabled({kRate, kPlain}), {});
  EXPECT_EQ(runner_->running(), (std::vector<std::string>{kPlain, kRate}));
  run_until([&] { return !batches_.empty(); });
  std::set<std::string> charts;
  for (const auto& b : batches_) {
    for (const auto& d : b.definitions) charts.insert(d.id);
  }
  EXPECT_TRUE(charts.contains("system.load"));
  EXPECT_FALSE(charts.contains("system.ram"));  // proc.meminfo is not enabled
}

TEST_F(CollectorRunnerTest, UnchangedCollectorKeepsRunningPrimedAndChangedOneRestarts) {
  test::LogCapture log(log::Channel::collector);
  auto options = enabled({kRate, kPlain});
  runner_->apply(options, {});
  // Wait until proc.stat is primed: it has emitted system.cpu samples once.
  run_until([&] {
    return std::any_of(batches_.begin(), batches_.end(),
                       [](const auto& b) { return has_samples_of(b, "system.cpu"); });
  });

  // Only proc.loadavg changes: proc.stat is left alone, so its very next run emits samples
  // (a re-created proc.stat would only prime its counters again).
  options[kPlain].update_every = 2s;
  runner_->apply(options, {});
  EXPECT_EQ(runner_->running(), (std::vector<std::string>{kPlain, kRate}));
  EXPECT_TRUE(log.contains("[collector:proc.loadavg] stopped for new settings")) << log.dump();
  EXPECT_FALSE(log.contains("[collector:proc.stat] stopped")) << log.dump();
  EXPECT_TRUE(has_samples_of(next_cpu_batch(batches_.size()), "system.cpu"));

  // proc.stat's options change: it is re-created and starts by priming again.
  options[kRate].max_series = 4000;
  runner_->apply(options, {});
  EXPECT_TRUE(log.contains("[collector:proc.stat] stopped for new settings")) << log.dump();
  EXPECT_FALSE(has_samples_of(next_cpu_batch(batches_.size()), "system.cpu"));
}

TEST_F(CollectorRunnerTest, ANewProcessListRecreatesOnlyTheProcessCollector) {
  test::LogCapture log(log::Channel::collector);
  const auto options = enabled({kRate, "process"});
  runner_->apply(options, {});
  run_until([&] {
    return std::any_of(batches_.begin(), batches_.end(),
                       [](const auto& b) { return has_samples_of(b, "system.cpu"); });
  });
  runner_->apply(options, {ProcessMatch{"shells", "bash", "", ""}});
  EXPECT_TRUE(log.contains("[collector:process] stopped for new settings")) << log.dump();
  EXPECT_FALSE(log.contains("[collector:proc.stat] stopped")) << log.dump();
  EXPECT_TRUE(has_samples_of(next_cpu_batch(batches_.size()), "system.cpu"));  // still primed
}

TEST_F(CollectorRunnerTest, DisabledCollectorsAreStopped) {
  test::LogCapture log(log::Channel::collector);
  runner_->apply(enabled({kRate, kPlain}), {});
  next_cpu_batch(0);  // proc.stat runs
  runner_->apply(enabled({kPlain}), {});
  EXPECT_EQ(runner_->running(), (std::vector<std::string>{kPlain}));
  EXPECT_TRUE(log.contains("[collector:proc.stat] stopped")) << log.dump();
  const size_t before = batches_.size();
  // Past proc.stat's next wall-clock tick (every second): it would have run by then.
  bool waited = false;
  event::Timer wait(loop_);
  wait.start(1500ms, 0ms, [&] { waited = true; });
  run_until([&] { return waited; });
  for (size_t i = before; i < batches_.size(); ++i) {
    EXPECT_FALSE(mentions(batches_[i], "system.cpu"));
  }
  runner_->apply(enabled({}), {});
  EXPECT_TRUE(runner_->running().empty());
}

TEST_F(CollectorRunnerTest, ACollectorMissingFromTheOptionsDoesNotRun) {
  std::map<std::string, CollectorOptions> only;
  only[kPlain] = CollectorOptions{};
  runner_->apply(only, {});
  EXPECT_EQ(runner_->running(), (std::vector<std::string>{kPlain}));
}

}  // namespace
}  // namespace trib::collectors
