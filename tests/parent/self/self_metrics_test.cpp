#include "parent/self/self_metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "parent/store/host_registry.h"
#include "tests/parent/store/store_test_util.h"

namespace trib::parent::self {
namespace {

constexpr int64_t kNow = 1'700'000'000;

std::map<std::string, std::vector<double>> by_chart(
    const std::vector<std::pair<std::string, model::ChartSample>>& samples, int64_t t) {
  std::map<std::string, std::vector<double>> out;
  for (const auto& [id, sample] : samples) {
    EXPECT_EQ(sample.timestamp, t);
    out[id] = sample.values;
  }
  return out;
}

TEST(SelfMetricsTest, EveryChartIsAValidDefinitionOfTheOwnHost) {
  store::HostRegistry registry(
      store::testing::make_host("parent", "11111111-1111-4111-8111-111111111111", 0),
      store::StorageConfig{}, kNow);
  SelfMetrics metrics;
  for (const auto& def : SelfMetrics::charts()) {
    ASSERT_TRUE(registry.localhost().define_chart(def).ok()) << def.id;
  }
  for (const auto& [id, sample] : metrics.sample(SelfCounters{}, kNow)) {
    EXPECT_TRUE(registry.localhost().store(id, sample).ok()) << id;
  }
}

TEST(SelfMetricsTest, RatesLevelsAndTheFullFlag) {
  SelfMetrics metrics;
  SelfCounters c;
  c.samples_stored = 1000;
  c.queries = 5;
  c.dimensions = 12;
  auto first = by_chart(metrics.sample(c, kNow), kNow);
  EXPECT_TRUE(std::isnan(first["tributary.ingest"][0]));  // no rate before a second reading
  EXPECT_TRUE(std::isnan(first["tributary.disk"][0]));    // no dbengine store
  EXPECT_EQ(first["tributary.series"][1], 12);

  c.samples_stored = 3000;
  c.samples_late = 4;
  c.queries = 9;
  storage::DiskStoreStats disk;
  disk.last_commit_us = 2500;
  disk.disk_bytes = 1 << 20;
  disk.block_bytes_sealed = 300;
  disk.samples_sealed = 1000;
  disk.series = 40;
  disk.full = true;
  c.disk = disk;
  auto second = by_chart(metrics.sample(c, kNow + 2), kNow + 2);
  EXPECT_EQ(second["tributary.ingest"], (std::vector<double>{1000, 2}));
  EXPECT_EQ(second["tributary.queries"], std::vector<double>{2});
  EXPECT_EQ(second["tributary.commit_latency"], std::vector<double>{2.5});
  EXPECT_EQ(second["tributary.disk"], std::vector<double>{1 << 20});
  EXPECT_EQ(second["tributary.bytes_per_sample"], std::vector<double>{0.3});
  EXPECT_EQ(second["tributary.series"], (std::vector<double>{40, 12}));
  EXPECT_EQ(second["tributary.storage_full"], (std::vector<double>{1, 0}));
  EXPECT_EQ(second["tributary.gaps"], (std::vector<double>{0, 0}));

  c.samples_stored = 10;  // hosts were forgotten: no negative rate
  EXPECT_EQ(by_chart(metrics.sample(c, kNow + 3), kNow + 3)["tributary.ingest"][0], 0);

  c.metric_gaps = 3;  // totals since start, so one gap shows until the parent restarts
  c.log_gaps = 1;
  EXPECT_EQ(by_chart(metrics.sample(c, kNow + 4), kNow + 4)["tributary.gaps"],
            (std::vector<double>{3, 1}));
}

}  // namespace
}  // namespace trib::parent::self
