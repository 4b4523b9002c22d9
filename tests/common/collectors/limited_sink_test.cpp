#include "common/collectors/limited_sink.h"

#include "common/collectors/chart_util.h"
#include "common/time/clock.h"
#include "tests/common/collectors/collector_test_support.h"

namespace trib::collectors::test {
namespace {

model::ChartDef chart(std::string id, size_t dimensions) {
  model::ChartDef def;
  def.id = std::move(id);
  for (size_t i = 0; i < dimensions; ++i) def.dimensions.push_back(dimension(std::to_string(i)));
  return def;
}

model::ChartSample sample(size_t values) {
  return {.timestamp = 1, .values = std::vector<double>(values, 1.0)};
}

TEST(LimitedSinkTest, HoldsBackChartsPastMaxSeries) {
  RecordingSink inner;
  time::ManualClock clock;
  LimitedSink sink("proc.diskstats", inner, /*max_series=*/5, /*max_values_per_second=*/1000,
                   clock);
  sink.define(chart("a", 3));
  sink.define(chart("b", 3));  // 6 > 5: held back
  sink.define(chart("c", 2));  // 5: fits
  ASSERT_EQ(inner.defines.size(), 2u);
  EXPECT_EQ(inner.defines[0].id, "a");
  EXPECT_EQ(inner.defines[1].id, "c");
  EXPECT_EQ(sink.held_back_series(), 3u);
  EXPECT_EQ(sink.series(), 5u);

  sink.submit("b", sample(3));
  sink.submit("a", sample(3));
  EXPECT_EQ(sink.dropped_values(), 3u);
  EXPECT_FALSE(inner.submitted("b"));
  EXPECT_TRUE(inner.submitted("a"));

  // Redefining with the same size passes; growing past the cap is held back and the chart's
  // later submits are dropped (the parent keeps the older, smaller definition).
  sink.define(chart("a", 3));
  EXPECT_EQ(inner.defines.size(), 3u);
  sink.define(chart("a", 4));
  EXPECT_EQ(inner.defines.size(), 3u);
  EXPECT_EQ(sink.held_back_series(), 4u);
  sink.submit("a", sample(4));
  EXPECT_EQ(sink.dropped_values(), 7u);
}

TEST(LimitedSinkTest, RateLimitsValuesWithATokenBucket) {
  RecordingSink inner;
  time::ManualClock clock;
  LimitedSink sink("process", inner, /*max_series=*/100, /*max_values_per_second=*/10, clock);
  sink.define(chart("x", 4));
  sink.submit("x", sample(4));
  sink.submit("x", sample(4));
  sink.submit("x", sample(4));  // 12 > 10 in the same instant: dropped whole
  EXPECT_EQ(inner.samples["x"].size(), 2u);
  EXPECT_EQ(sink.dropped_values(), 4u);

  clock.advance_s(1);  // refills to the burst of one second's worth (10), not beyond
  sink.submit("x", sample(4));
  sink.submit("x", sample(4));
  sink.submit("x", sample(4));
  EXPECT_EQ(inner.samples["x"].size(), 4u);
  EXPECT_EQ(sink.dropped_values(), 8u);
}

TEST(LimitedSinkTest, SubmitToUnknownChartIsDropped) {
  RecordingSink inner;
  time::ManualClock clock;
  LimitedSink sink("x", inner, 10, 10, clock);
  sink.submit("never.defined", sample(2));
  EXPECT_EQ(sink.dropped_values(), 2u);
  EXPECT_TRUE(inner.samples.empty());
}

}  // namespace
}  // namespace trib::collectors::test
