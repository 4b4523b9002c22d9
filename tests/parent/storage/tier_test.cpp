// Tiers of the dbengine store: the tier block codec, the writer's roll-up (and its recovery
// across a crash), queries over tiers against the same queries over the samples, and retention
// by age and size of every tier.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>

#include "parent/query/data_query.h"
#include "parent/storage/db_series.h"
#include "parent/storage/disk_store.h"
#include "parent/storage/tier_block.h"
#include "parent/storage/tier_rollup.h"
#include "parent/store/host_registry.h"
#include "tests/support/loop_fixture.h"

namespace trib::parent::storage {
namespace {

using namespace std::chrono_literals;

constexpr const char* kGuid = "11111111-2222-3333-4444-555555555555";
constexpr int64_t kDay = 86400;
constexpr int64_t kStart = 1'700'006'400;  // a day boundary (UTC)

// A test signal with gaps; dimension 1 is negative. Sums do not cancel out, so float32 sums
// in the tiers stay within a relative 1e-6 of sums over the samples.
double signal(int64_t t, size_t dim) {
  if ((t + static_cast<int64_t>(dim)) % 97 == 0) return NAN;
  const double v =
      std::sin(static_cast<double>(t) / 900.0) * 100.0 + 150.0 + static_cast<double>((t * 7) % 13);
  return dim == 0 ? v : -v;
}

// The points a tier of `every` seconds must hold for samples in [from, to] (closed intervals
// only: the interval of `to` is still open).
std::map<int64_t, TierPoint> expected_points(int64_t from, int64_t to, int64_t every, size_t dim) {
  std::map<int64_t, TierPoint> points;
  for (int64_t t = from; t <= to; ++t) {
    const double v = signal(t, dim);
    if (std::isnan(v) || floor_to(t, every) == floor_to(to, every)) continue;
    TierPoint& p = points[floor_to(t, every)];
    p.start_s = floor_to(t, every);
    p.add(static_cast<double>(static_cast<float>(v)));
  }
  return points;
}

TEST(TierBlockTest, RoundTripsAndRefusesBadInput) {
  std::vector<TierPoint> points;
  for (int i = 0; i < 100; ++i) {
    points.push_back(TierPoint{kStart + i * 60, -i * 0.5, i * 2.0, i * 30.25,
                               static_cast<uint32_t>(60 - i % 3)});
  }
  for (const bool zstd : {false, true}) {
    auto decoded = decode_tier_block(encode_tier_block(points, zstd));
    ASSERT_TRUE(decoded.ok()) << decoded.error().describe();
    ASSERT_EQ(decoded->size(), points.size());
    for (size_t i = 0; i < points.size(); ++i) {
      EXPECT_EQ((*decoded)[i].start_s, points[i].start_s);
      EXPECT_EQ((*decoded)[i].min, points[i].min);
      EXPECT_EQ((*decoded)[i].max, points[i].max);
      EXPECT_EQ((*decoded)[i].sum, points[i].sum);
      EXPECT_EQ((*decoded)[i].count, points[i].count);
    }
  }
  const std::string good = encode_tier_block(points, false);
  EXPECT_FALSE(decode_tier_block("").ok());
  EXPECT_FALSE(decode_tier_block(good.substr(0, good.size() / 2)).ok());
  std::string bad_version = good;
  bad_version[0] = 9;
  EXPECT_FALSE(decode_tier_block(bad_version).ok());
  std::vector<TierPoint> zero_count = {TierPoint{kStart, 1, 1, 1, 0}};
  EXPECT_FALSE(decode_tier_block(encode_tier_block(zero_count, false)).ok());
}

TEST(TierBlockTest, TheOpenFormAppendsAndRefusesBadInput) {
  std::string block = encode_open_tier_block(TierPoint{kStart, -1.5, 2.5, 10.125, 60});
  append_open_tier_point(block, TierPoint{kStart + 60, 0, 1, 0.1, 59});
  EXPECT_TRUE(is_open_tier_block(block));
  auto decoded = decode_tier_block(block);
  ASSERT_TRUE(decoded.ok()) << decoded.error().describe();
  ASSERT_EQ(decoded->size(), 2u);
  EXPECT_EQ((*decoded)[0].min, -1.5);
  EXPECT_EQ((*decoded)[1].sum, 0.1);  // the open form keeps sums as doubles
  EXPECT_EQ((*decoded)[1].count, 59u);
  EXPECT_FALSE(decode_tier_block(block.substr(0, block.size() - 3)).ok());
  std::string backwards = encode_open_tier_block(TierPoint{kStart, 1, 1, 1, 1});
  append_open_tier_point(backwards, TierPoint{kStart, 1, 1, 1, 1});
  EXPECT_FALSE(decode_tier_block(backwards).ok());
}

class TierTest : public test::LoopTest {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("trib-tiers-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    options_.flush_interval = 0ms;
    options_.tiers = {TierSpec{60s}, TierSpec{3600s}};
    options_.clock = &clock_;
  }
  void TearDown() override {
    stores_.clear();
    test::LoopTest::TearDown();
    std::filesystem::remove_all(dir_);
  }

  DiskStore& open(const std::string& name = "a") {
    DiskStoreOptions options = options_;
    options.path = (dir_ / name).string();
    auto opened = DiskStore::open(loop_, options);
    EXPECT_TRUE(opened.ok()) << opened.error().describe();
    stores_[name] = std::move(opened).value();
    return *stores_[name];
  }
  void close(const std::string& name = "a") { stores_.erase(name); }
  void commit(DiskStore& store) {
    const uint64_t ticket = store.flush();
    bool done = false;
    store.when_committed(ticket, [&] { done = true; });
    run_until([&] { return done; });
  }
  void retention(DiskStore& store) {
    const uint64_t passes = store.stats().retention_passes;
    store.run_retention();
    run_until([&] { return store.stats().retention_passes > passes; });
  }
  static std::map<int64_t, TierPoint> stored_points(DiskStore& store, uint32_t series_id,
                                                    size_t tier) {
    std::map<int64_t, TierPoint> points;
    store.visit_tier_points(series_id, tier, 0, INT64_MAX / 2,
                            [&](const TierPoint& p) { points[p.start_s] = p; });
    return points;
  }
  static void expect_same_points(const std::map<int64_t, TierPoint>& got,
                                 const std::map<int64_t, TierPoint>& want) {
    ASSERT_EQ(got.size(), want.size());
    for (const auto& [start, w] : want) {
      const auto it = got.find(start);
      ASSERT_NE(it, got.end()) << start;
      EXPECT_EQ(it->second.count, w.count) << start;
      EXPECT_EQ(it->second.min, static_cast<float>(w.min)) << start;
      EXPECT_EQ(it->second.max, static_cast<float>(w.max)) << start;
      EXPECT_NEAR(it->second.sum, w.sum, std::fabs(w.sum) * 1e-6 + 1e-6) << start;
    }
  }

  // Journals samples [from, to] of one dimension the way an open block does (no block is
  // sealed): after a commit, only the journal holds them, as after a kill -9.
  static void journal_samples(DiskStore& store, uint32_t series_id, int64_t from, int64_t to) {
    store.pin(store.pending_ticket());
    const uint32_t ids[] = {series_id};
    for (int64_t t = from; t <= to; ++t) {
      const double row[] = {signal(t, 0)};
      if (!std::isnan(row[0])) store.journal(t, ids, row);
    }
  }

  std::filesystem::path dir_;
  DiskStoreOptions options_;
  time::ManualClock clock_{kStart};
  std::map<std::string, std::unique_ptr<DiskStore>> stores_;
};

TEST_F(TierTest, TheWriterRollsSamplesUpIntoEveryTier) {
  options_.block_samples = 300;
  DiskStore& store = open();
  {
    DbChartSeries series(store, kGuid, "system.cpu", 1);
    series.add_dimension("user");
    series.add_dimension("system");
    for (int64_t t = kStart - 100; t <= kStart + 3 * 3600 + 17; ++t) {
      const double row[] = {signal(t, 0), signal(t, 1)};
      series.append(t, row);
      if (t % 1000 == 0) commit(store);  // many batches, intervals closing across them
    }
    commit(store);
  }
  const uint32_t user = store.series_id(kGuid, "system.cpu", "user");
  const uint32_t system = store.series_id(kGuid, "system.cpu", "system");
  expect_same_points(stored_points(store, user, 1),
                     expected_points(kStart - 100, kStart + 3 * 3600 + 17, 60, 0));
  expect_same_points(stored_points(store, system, 1),
                     expected_points(kStart - 100, kStart + 3 * 3600 + 17, 60, 1));
  expect_same_points(stored_points(store, user, 2),
                     expected_points(kStart - 100, kStart + 3 * 3600 + 17, 3600, 0));
  const SeriesExtent hours = store.tier_extent(user, 2);
  EXPECT_EQ(hours.first_s, kStart - 3600);
  EXPECT_EQ(hours.last_s, kStart + 2 * 3600);
}

TEST_F(TierTest, ACrashLosesNoIntervalAndCountsNoneTwice) {
  const int64_t crash_at = kStart + 5 * 3600 + 1234;  // inside a minute and an hour
  const int64_t end = kStart + 8 * 3600 + 99;
  {
    DiskStore& store = open();
    const uint32_t id = store.series_id(kGuid, "system.load", "load1");
    journal_samples(store, id, kStart, crash_at);
    commit(store);
    // The writer's open intervals die with the store, the samples are only in the journal.
    close();
  }
  DiskStore& store = open();
  const uint32_t id = store.series_id(kGuid, "system.load", "load1");
  // The sender resends from before the crash: those samples must not count twice.
  journal_samples(store, id, crash_at - 500, end);
  commit(store);
  expect_same_points(stored_points(store, id, 1), expected_points(kStart, end, 60, 0));
  expect_same_points(stored_points(store, id, 2), expected_points(kStart, end, 3600, 0));

  // A second restart with sealed blocks this time, through DbChartSeries.
  close();
  DiskStore& again = open();
  {
    DbChartSeries series(again, kGuid, "system.load", 1);
    series.add_dimension("load1");
    for (int64_t t = end + 1; t <= end + 4000; ++t) {
      const double row[] = {signal(t, 0)};
      series.append(t, row);
    }
    commit(again);
  }
  commit(again);
  expect_same_points(stored_points(again, id, 1), expected_points(kStart, end + 4000, 60, 0));
  expect_same_points(stored_points(again, id, 2), expected_points(kStart, end + 4000, 3600, 0));
}

// The same chart in two stores, one with tiers and one without: a long query must give the
// same answer from the tiers as from every sample.
class TierQueryTest : public TierTest {
 protected:
  void SetUp() override {
    TierTest::SetUp();
    with_tiers_ = &open("tiers");
    options_.tiers.clear();
    samples_only_ = &open("samples");
    fill(*with_tiers_, tiered_registry_);
    fill(*samples_only_, plain_registry_);
  }
  void TearDown() override {
    tiered_registry_.reset();
    plain_registry_.reset();
    TierTest::TearDown();
  }

  void fill(DiskStore& store, std::unique_ptr<store::HostRegistry>& registry) {
    store::StorageConfig dbengine{store::MemoryMode::dbengine, 3600, &store};
    model::HostInfo self;
    self.machine_guid = "99999999-2222-3333-4444-555555555555";
    registry = std::make_unique<store::HostRegistry>(self, dbengine, kStart);
    model::HostInfo child;
    child.machine_guid = kGuid;
    child.hostname = "child";
    store::Host* host = *registry->connect(child, dbengine, kStart);
    model::ChartDef def;
    def.id = "net.eth0";
    def.update_every = 1;
    def.dimensions = {{"in", "in"}, {"out", "out"}};
    ASSERT_TRUE(host->define_chart(def).ok());
    for (int64_t t = kStart; t < kStart + kDays * kDay; ++t) {
      ASSERT_TRUE(host->store("net.eth0", {t, {signal(t, 0), signal(t, 1)}}).ok());
      if (t % 20000 == 0) commit(store);
    }
    commit(store);
  }
  query::QueryResult run(store::HostRegistry& registry, const query::DataRequest& request) {
    const store::Chart* chart = registry.find("child")->find_chart("net.eth0");
    auto result = query::run_data_query(*chart, request, kStart + kDays * kDay);
    EXPECT_TRUE(result.ok());
    return *result;
  }
  void expect_same(const query::DataRequest& request, size_t tier) {
    const auto tiered = run(*tiered_registry_, request);
    const auto samples = run(*plain_registry_, request);
    EXPECT_EQ(tiered.tier, tier);
    EXPECT_EQ(samples.tier, 0u);
    EXPECT_LE(tiered.db_points_read, static_cast<size_t>(request.points) * 16 * 2);
    ASSERT_EQ(tiered.times, samples.times);
    ASSERT_EQ(tiered.values.size(), samples.values.size());
    for (size_t i = 0; i < samples.values.size(); ++i) {
      const double want = samples.values[i];
      const double got = tiered.values[i];
      ASSERT_EQ(std::isnan(got), std::isnan(want)) << i;
      if (!std::isnan(want)) {
        EXPECT_NEAR(got, want, std::fabs(want) * 2e-6 + 1e-6) << i;
      }
    }
  }

  static constexpr int64_t kDays = 3;
  DiskStore* with_tiers_ = nullptr;
  DiskStore* samples_only_ = nullptr;
  std::unique_ptr<store::HostRegistry> tiered_registry_;
  std::unique_ptr<store::HostRegistry> plain_registry_;
};

TEST_F(TierQueryTest, EveryGroupMethodGivesTheSameAnswerFromTiers) {
  query::DataRequest request;
  request.chart = "net.eth0";
  request.after = kStart;
  request.before = kStart + kDays * kDay - 1;  // the newest hour is still open in the writer
  for (const auto group : {query::GroupMethod::average, query::GroupMethod::min,
                           query::GroupMethod::max, query::GroupMethod::sum}) {
    request.group = group;
    request.points = 72;  // one point per hour: the hourly tier
    expect_same(request, 2);
    request.points = 288;  // one per 15 minutes: the minute tier
    expect_same(request, 1);
  }
  // A window that ends inside the open hour and starts inside the first day.
  request.group = query::GroupMethod::average;
  request.after = kStart + 7200;
  request.before = kStart + kDays * kDay - 1;
  request.points = 70;
  expect_same(request, 2);
}

TEST_F(TierQueryTest, ShortWindowsStillReadTheSamples) {
  query::DataRequest request;
  request.chart = "net.eth0";
  request.after = -3600;
  request.points = 600;
  const auto result = run(*tiered_registry_, request);
  EXPECT_EQ(result.tier, 0u);
  EXPECT_EQ(result.times.size(), 600u);
}

// A host streaming for a few minutes: its samples are still in the open block (nothing sealed
// for tier 0 yet) while the minute tier has points on disk. A query over the last minute reads
// the samples, not minute points (found by the proxy test's 60 s outage run).
TEST_F(TierTest, SamplesNotSealedYetStillAnswerShortQueries) {
  DiskStore& store = open();
  store::StorageConfig dbengine{store::MemoryMode::dbengine, 3600, &store};
  model::HostInfo self;
  self.machine_guid = "99999999-2222-3333-4444-555555555555";
  store::HostRegistry registry(self, dbengine, kStart);
  model::HostInfo child;
  child.machine_guid = kGuid;
  child.hostname = "child";
  store::Host* host = *registry.connect(child, dbengine, kStart);
  model::ChartDef def;
  def.id = "net.eth0";
  def.update_every = 1;
  def.dimensions = {{"in", "in"}};
  ASSERT_TRUE(host->define_chart(def).ok());
  constexpr int64_t kSeconds = 300;
  for (int64_t t = kStart; t < kStart + kSeconds; ++t) {
    ASSERT_TRUE(host->store("net.eth0", {t, {static_cast<double>(t % 1000)}}).ok());
  }
  commit(store);
  const store::Chart* chart = registry.find("child")->find_chart("net.eth0");
  ASSERT_NE(chart->series().tiers().at(1).first_s, 0);  // the minute tier has points
  query::DataRequest request;
  request.chart = "net.eth0";
  request.after = kStart + kSeconds - 60;
  request.before = kStart + kSeconds - 1;
  request.points = 60;
  const auto result = query::run_data_query(*chart, request, kStart + kSeconds);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->tier, 0u);
  EXPECT_EQ(result->times.size(), 60u);
}

TEST_F(TierTest, RetentionByAgeDropsTheOldestBlocksOfEachTier) {
  options_.max_age = std::chrono::seconds(kDay);
  options_.tiers = {TierSpec{60s, std::chrono::seconds(10 * kDay)},
                    TierSpec{3600s, std::chrono::seconds(100 * kDay)}};
  DiskStore& store = open();
  const uint32_t id = store.series_id(kGuid, "system.load", "load1");
  // 30 days of history in the minute tier (338 blocks) and 300 days in the hourly one.
  std::vector<TierPoint> minutes;
  for (int64_t t = kStart - 30 * kDay; t < kStart; t += 60) minutes.push_back({t, 1, 2, 3, 60});
  std::vector<TierPoint> hours;
  for (int64_t t = kStart - 300 * kDay; t < kStart; t += 3600) hours.push_back({t, 1, 2, 3, 3600});
  store.import_tier_points(1, id, minutes);
  store.import_tier_points(2, id, hours);
  // Two days of samples in tier 0.
  {
    DbChartSeries series(store, kGuid, "system.load", 60);
    series.add_dimension("load1");
    for (int64_t t = kStart - 2 * kDay; t < kStart; t += 60) {
      const double row[] = {1.0};
      series.append(t, row);
    }
  }
  commit(store);
  retention(store);
  const SeriesExtent samples = store.extent(id);
  const SeriesExtent minute_tier = store.tier_extent(id, 1);
  const SeriesExtent hour_tier = store.tier_extent(id, 2);
  // Whole blocks go: the oldest one left may start up to one block before the cutoff.
  EXPECT_GE(samples.first_s, kStart - kDay - 512 * 60);
  EXPECT_LE(samples.first_s, kStart - kDay);
  EXPECT_GE(minute_tier.first_s, kStart - 10 * kDay - 128 * 60);
  EXPECT_LE(minute_tier.first_s, kStart - 10 * kDay);
  EXPECT_GE(hour_tier.first_s, kStart - 100 * kDay - 128 * 3600);
  EXPECT_LE(hour_tier.first_s, kStart - 100 * kDay);
  EXPECT_EQ(hour_tier.last_s, kStart - 3600);

  // A month later everything but the hourly tier is gone.
  clock_.advance_s(30 * kDay);
  retention(store);
  EXPECT_EQ(store.extent(id).last_s, 0);
  EXPECT_EQ(store.tier_extent(id, 1).last_s, 0);
  EXPECT_EQ(store.tier_extent(id, 2).last_s, kStart - 3600);
}

TEST_F(TierTest, DiskSizeStaysUnderMaxSizeUnderContinuousWrites) {
  options_.max_size = 512u << 10;
  options_.max_age = 0s;
  options_.map_headroom = 8u << 20;
  options_.tiers = {TierSpec{60s, 0s, 64u << 10}};
  DiskStore& store = open();
  std::vector<std::unique_ptr<DbChartSeries>> charts;
  for (int c = 0; c < 20; ++c) {
    charts.push_back(std::make_unique<DbChartSeries>(store, kGuid, "chart" + std::to_string(c), 1));
    charts.back()->add_dimension("x");
  }
  uintmax_t file_at_half = 0;
  int64_t t = kStart;
  constexpr int kRounds = 60;
  for (int round = 0; round < kRounds; ++round) {
    // Noisy values: about 2.5 bytes per sample, 25 KiB per round (5 % of max_size).
    for (int i = 0; i < 500; ++i, ++t) {
      for (auto& chart : charts) {
        const double row[] = {std::sin(static_cast<double>(t) * 1.7 + i) * 1e6};
        chart->append(t, row);
      }
    }
    commit(store);
    ASSERT_FALSE(store.congested());
    retention(store);
    auto live = store.live_bytes();
    ASSERT_TRUE(live.ok());
    EXPECT_LE((*live)[0], options_.max_size) << round;
    EXPECT_LE((*live)[1], 64u << 10) << round;
    if (round == kRounds / 2) file_at_half = std::filesystem::file_size(dir_ / "a" / "data.mdb");
  }
  // Freed pages are reused: the file stops growing once retention runs.
  EXPECT_LE(std::filesystem::file_size(dir_ / "a" / "data.mdb"), file_at_half + (256u << 10));
  // The oldest data went first: the newest samples are all still there.
  EXPECT_EQ(charts[0]->last_time_s(), t - 1);
  std::vector<double> newest(100);
  charts[0]->read(0, t - 100, newest);
  for (double v : newest) EXPECT_FALSE(std::isnan(v));
  charts.clear();
}

}  // namespace
}  // namespace trib::parent::storage
