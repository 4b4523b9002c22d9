#pragma once
// Helpers for collector tests: a sink that records everything, and a fake /proc + /sys tree
// that moves through the golden fixture steps (tests/fixtures/proc/<scenario>/stepN).

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "common/collectors/collector.h"

namespace trib::collectors::test {

class RecordingSink final : public MetricSink {
 public:
  void define(const model::ChartDef& def) override {
    defines.push_back(def);
    charts[def.id] = def;
  }
  void submit(const std::string& chart_id, const model::ChartSample& sample) override {
    samples[chart_id].push_back(sample);
    submit_order.push_back(chart_id);
  }
  // Forgets what was recorded (between steps), keeping the known chart defs.
  void clear_step() {
    defines.clear();
    samples.clear();
    submit_order.clear();
  }
  const model::ChartDef* chart(const std::string& id) const {
    auto it = charts.find(id);
    return it == charts.end() ? nullptr : &it->second;
  }
  bool defined_now(const std::string& id) const {
    for (const auto& def : defines) {
      if (def.id == id) return true;
    }
    return false;
  }
  // The only sample of `id` in this step (fails the test if there is not exactly one).
  std::vector<double> values(const std::string& id) const {
    auto it = samples.find(id);
    if (it == samples.end() || it->second.size() != 1) {
      ADD_FAILURE() << "expected one sample of " << id << ", got "
                    << (it == samples.end() ? 0 : it->second.size());
      return {};
    }
    return it->second.front().values;
  }
  bool submitted(const std::string& id) const { return samples.contains(id); }

  std::vector<model::ChartDef> defines;
  std::map<std::string, model::ChartDef> charts;
  std::map<std::string, std::vector<model::ChartSample>> samples;
  std::vector<std::string> submit_order;
};

// Values equal within 1e-9, NaN equal to NaN (a gap).
inline void expect_values(const std::vector<double>& actual, const std::vector<double>& expected,
                          const std::string& what) {
  ASSERT_EQ(actual.size(), expected.size()) << what;
  for (size_t i = 0; i < expected.size(); ++i) {
    if (std::isnan(expected[i])) {
      EXPECT_TRUE(std::isnan(actual[i])) << what << " value " << i << " = " << actual[i];
    } else {
      EXPECT_NEAR(actual[i], expected[i], 1e-9) << what << " value " << i;
    }
  }
}

inline std::vector<std::string> dimension_ids(const model::ChartDef& def) {
  std::vector<std::string> ids;
  for (const auto& d : def.dimensions) ids.push_back(d.id);
  return ids;
}

// A temporary directory with a symlink `current` pointing at one fixture step, so a collector
// built once over fixed paths sees the tree change from step to step.
class FixtureSteps {
 public:
  explicit FixtureSteps(const std::string& scenario)
      : scenario_dir_(std::filesystem::path(TRIB_TEST_FIXTURES) / "proc" / scenario) {
    auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("trib_collectors_" + std::string(info->test_suite_name()) + "_" + info->name() + "_" +
            std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  ~FixtureSteps() { std::filesystem::remove_all(dir_); }

  void use_step(int step) {
    std::filesystem::remove(current());
    std::filesystem::create_directory_symlink(scenario_dir_ / ("step" + std::to_string(step)),
                                              current());
  }
  std::filesystem::path current() const { return dir_ / "current"; }
  Paths paths() const { return {.proc = current() / "proc", .sys = current() / "sys"}; }

 private:
  std::filesystem::path scenario_dir_;
  std::filesystem::path dir_;
};

inline constexpr int64_t kT0 = 1'700'000'000'000'000;  // µs
inline constexpr int64_t kSecond = 1'000'000;

// A test that drives collectors through the steps of one fixture scenario, recording what they
// emit.
class CollectorFixtureTest : public ::testing::Test {
 protected:
  explicit CollectorFixtureTest(const std::string& scenario) : steps_(scenario) {}

  // Moves the tree to `step` and collects at T0 + `second`s.
  void collect(Collector& collector, int step, int64_t second) {
    steps_.use_step(step);
    sink_.clear_step();
    Status status = collector.collect(kT0 + second * kSecond, sink_);
    ASSERT_TRUE(status.ok()) << status.error().describe();
  }

  FixtureSteps steps_;
  RecordingSink sink_;
};

}  // namespace trib::collectors::test
