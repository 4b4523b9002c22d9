#include "parent/store/ram_series.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace trib::parent::store {
namespace {

std::vector<double> read_all(const RamChartSeries& s, size_t dim, int64_t after, size_t n) {
  std::vector<double> out(n);
  s.read(dim, after, out);
  return out;
}

TEST(RamChartSeriesTest, WrapsAfterHistoryEntries) {
  RamChartSeries series(/*history=*/5, /*update_every=*/1, /*dimensions=*/1);
  for (int64_t t = 100; t < 108; ++t) {
    const double v = static_cast<double>(t);
    series.append(t, std::span<const double>(&v, 1));
  }
  EXPECT_EQ(series.first_time_s(), 103);
  EXPECT_EQ(series.last_time_s(), 107);
  const auto values = read_all(series, 0, 101, 8);
  EXPECT_TRUE(std::isnan(values[0]));  // 101: overwritten by the wrap
  EXPECT_TRUE(std::isnan(values[1]));  // 102
  for (int i = 2; i < 7; ++i) EXPECT_EQ(values[i], 101 + i);
  EXPECT_TRUE(std::isnan(values[7]));  // 108: not yet stored
}

TEST(RamChartSeriesTest, GapsReadAsNaNAndLongSilenceClearsTheRing) {
  RamChartSeries series(10, 2, 1);
  const double v = 1.5;
  series.append(100, std::span<const double>(&v, 1));
  series.append(106, std::span<const double>(&v, 1));
  const auto values = read_all(series, 0, 100, 4);
  EXPECT_EQ(values[0], 1.5);
  EXPECT_TRUE(std::isnan(values[1]));
  EXPECT_TRUE(std::isnan(values[2]));
  EXPECT_EQ(values[3], 1.5);

  series.append(1000, std::span<const double>(&v, 1));
  EXPECT_EQ(series.first_time_s(), 1000);
  EXPECT_TRUE(std::isnan(read_all(series, 0, 106, 1)[0]));
}

TEST(RamChartSeriesTest, FloatStorageKeepsCpuPercentagesWithinBudget) {
  RamChartSeries series(4, 1, 1);
  const double cpu = 37.123456789;
  series.append(10, std::span<const double>(&cpu, 1));
  const double back = read_all(series, 0, 10, 1)[0];
  EXPECT_LT(std::fabs(back - cpu) / cpu, 1e-4 / 100);
}

TEST(RamChartSeriesTest, AddedDimensionHasNoPastAndErasedOneShifts) {
  RamChartSeries series(4, 1, 1);
  double one = 1;
  series.append(10, std::span<const double>(&one, 1));
  series.add_dimension("new");
  const std::vector<double> two = {2, 3};
  series.append(11, two);
  EXPECT_TRUE(std::isnan(read_all(series, 1, 10, 1)[0]));
  EXPECT_EQ(read_all(series, 1, 11, 1)[0], 3);
  series.erase_dimension(0);
  EXPECT_EQ(read_all(series, 0, 11, 1)[0], 3);
  EXPECT_GT(series.memory_bytes(), 4 * sizeof(float));
}

}  // namespace
}  // namespace trib::parent::store
