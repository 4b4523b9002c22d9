// The recorded hour of a real agent's metrics (tests/fixtures/agent-hour) replayed into a real
// DiskStore: every value reads back exactly as dumped (as float32, the store's precision), and
// the sealed blocks stay within the disk target.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "tests/support/disk_replay.h"
#include "tests/support/loop_fixture.h"
#include "tests/support/metrics_dump.h"

namespace trib::parent::storage {
namespace {

constexpr const char* kGuid = "a9a9a9a9-1111-4222-8333-444444444444";

class AgentHourTest : public test::LoopTest {
 protected:
  void SetUp() override {
    auto dump = test::read_metrics_dump(test::agent_hour_fixture_path());
    ASSERT_TRUE(dump.ok()) << dump.error().describe();
    dump_ = std::move(dump).value();
    dir_ =
        std::filesystem::temp_directory_path() / ("trib-agent-hour-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    DiskStoreOptions options;
    options.path = dir_.string();
    options.flush_interval = std::chrono::milliseconds(0);
    options.max_age = std::chrono::seconds(0);  // the recorded hour is older than 30 days one day
    auto opened = DiskStore::open(loop_, options);
    ASSERT_TRUE(opened.ok()) << opened.error().describe();
    store_ = std::move(opened).value();
  }
  void TearDown() override {
    store_.reset();
    test::LoopTest::TearDown();
    std::filesystem::remove_all(dir_);
  }

  test::MetricsDump dump_;
  std::filesystem::path dir_;
  std::unique_ptr<DiskStore> store_;
};

TEST_F(AgentHourTest, EveryValueReadsBackAsDumped) {
  const test::ReplayFigures figures = test::replay_dump(loop_, *store_, dump_, kGuid);
  EXPECT_EQ(figures.samples, dump_.samples());
  // Sealed as version 1 blocks this hour takes 0.702 bytes per sample, as version 2 0.505, as
  // version 3 (fractions) 0.470 (docs/benchmarks.md); the target is 0.6.
  EXPECT_LT(figures.bytes_per_sample(), 0.5);

  // Fresh series, as after a restart: everything comes from committed blocks.
  auto series = test::open_dump_series(*store_, dump_, kGuid);
  size_t compared = 0;
  for (size_t c = 0; c < dump_.charts.size(); ++c) {
    const test::DumpedChart& chart = dump_.charts[c];
    if (chart.times.empty()) continue;
    const int64_t every = chart.def.update_every;
    const int64_t first = chart.times.front();
    std::vector<double> slots(static_cast<size_t>((chart.times.back() - first) / every + 1));
    for (size_t d = 0; d < chart.def.dimensions.size(); ++d) {
      series[c]->read(d, first, slots);
      for (size_t i = 0; i < chart.times.size(); ++i) {
        const double dumped = chart.rows[i][d];
        const double stored = slots[static_cast<size_t>((chart.times[i] - first) / every)];
        SCOPED_TRACE(chart.def.id + " " + chart.def.dimensions[d].id + " at " +
                     std::to_string(chart.times[i]));
        if (std::isnan(dumped)) {
          ASSERT_TRUE(std::isnan(stored));
        } else {
          ASSERT_EQ(stored, static_cast<double>(static_cast<float>(dumped)));
          ++compared;
        }
      }
    }
  }
  EXPECT_EQ(compared, dump_.samples());
}

}  // namespace
}  // namespace trib::parent::storage
