// /api/v1/data: the hot query of the dashboard, over the RAM store and the dbengine store
// (samples, and a year of downsampled tiers).
// Run: build/release/tests/bench/query_bench
#include <benchmark/benchmark.h>

#include <filesystem>

#include "common/http/url.h"
#include "parent/query/api.h"
#include "parent/storage/disk_store.h"
#include "parent/store/host_registry.h"

namespace trib::parent {
namespace {

constexpr int64_t kNow = 1'700'000'000;
constexpr int64_t kYear = 365 * 86400;

model::ChartDef chart_with(size_t dimensions) {
  model::ChartDef def;
  def.id = def.name = def.context = "bench.chart";
  def.title = "bench";
  def.units = "value";
  def.family = "bench";
  def.update_every = 1;
  for (size_t i = 0; i < dimensions; ++i) {
    const std::string id = "d" + std::to_string(i);
    def.dimensions.push_back({id, id});
  }
  return def;
}

double value_at(int64_t t, size_t dim) { return static_cast<double>((t + dim) % 977) / 7.0; }

model::HostInfo host_info(const char* guid, const char* name) {
  model::HostInfo info;
  info.machine_guid = guid;
  info.hostname = name;
  return info;
}

// One child with one chart of `dimensions` holding the last hour of per-second samples.
struct Fixture {
  explicit Fixture(size_t dimensions, store::StorageConfig storage)
      : registry(host_info("00000000-0000-0000-0000-000000000001", "parent"), storage,
                 kNow - 4000) {
    host = *registry.connect(host_info("00000000-0000-0000-0000-000000000002", "child"), storage,
                             kNow - 4000);
    (void)host->define_chart(chart_with(dimensions));
    std::vector<double> values(dimensions);
    for (int64_t t = kNow - 3599; t <= kNow; ++t) {
      for (size_t i = 0; i < dimensions; ++i) values[i] = value_at(t, i);
      (void)host->store("bench.chart", {t, values});
    }
  }
  store::HostRegistry registry;
  store::Host* host = nullptr;
};

void run_query(benchmark::State& state, const store::HostRegistry& registry,
               const std::string& query) {
  const auto params = *http::parse_query(query);
  size_t bytes = 0;
  for (auto _ : state) {
    auto response = query::handle_api(registry, "/host/child/api/v1/data", params, kNow);
    bytes = response.body.size();
    benchmark::DoNotOptimize(response);
  }
  state.counters["body_bytes"] = static_cast<double>(bytes);
}

std::string window(int64_t seconds, int64_t points) {
  return "chart=bench.chart&after=-" + std::to_string(seconds) +
         "&points=" + std::to_string(points) + "&options=jsonwrap";
}

// args: seconds, dimensions, points (0: every sample)
void BM_DataQuery(benchmark::State& state) {
  Fixture fixture(static_cast<size_t>(state.range(1)), {store::MemoryMode::ram, 3600});
  run_query(state, fixture.registry, window(state.range(0), state.range(2)));
}
BENCHMARK(BM_DataQuery)
    ->Args({600, 10, 0})
    ->Args({3600, 10, 0})
    ->Args({3600, 10, 600})
    ->Unit(benchmark::kMillisecond);

// A dbengine store in a temporary directory, with the default tiers (1m and 1h).
struct DiskFixture {
  DiskFixture() {
    dir =
        std::filesystem::temp_directory_path() / ("trib-query-bench-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    storage::DiskStoreOptions options;
    options.path = dir.string();
    options.no_sync = true;
    options.flush_interval = std::chrono::milliseconds(0);
    options.max_age = std::chrono::seconds(0);
    options.tiers = {{std::chrono::seconds(60), std::chrono::seconds(0)},
                     {std::chrono::seconds(3600), std::chrono::seconds(0)}};
    disk = std::move(storage::DiskStore::open(loop, options)).value();
  }
  ~DiskFixture() {
    disk.reset();
    (void)loop.close();
    std::filesystem::remove_all(dir);
  }
  // Flushes and runs the loop until the writer committed everything.
  void commit() {
    const uint64_t ticket = disk->flush();
    bool done = false;
    disk->when_committed(ticket, [&] { done = true; });
    while (!done) uv_run(loop.raw(), UV_RUN_ONCE);
  }
  // A year of tier points per dimension, ending an hour before the samples begin, written
  // through the writer's import path (not by simulating a year of samples).
  void import_year(size_t dimensions) {
    const model::ChartDef def = chart_with(dimensions);
    for (size_t tier = 1; tier <= 2; ++tier) {
      const int64_t every = tier == 1 ? 60 : 3600;
      const int64_t end = (kNow - 3600) / every * every;
      for (size_t d = 0; d < dimensions; ++d) {
        std::vector<storage::TierPoint> points;
        for (int64_t t = end - kYear; t < end; t += every) {
          const double v = value_at(t, d);
          points.push_back(
              {t, v - 1, v + 1, v * static_cast<double>(every), static_cast<uint32_t>(every)});
        }
        disk->import_tier_points(
            tier,
            disk->series_id("00000000-0000-0000-0000-000000000002", def.id, def.dimensions[d].id),
            std::move(points));
      }
      commit();
    }
  }
  event::Loop loop;
  std::filesystem::path dir;
  std::unique_ptr<storage::DiskStore> disk;
};

// args: seconds, dimensions, points
void BM_DiskDataQuery(benchmark::State& state) {
  DiskFixture disk;
  {
    Fixture fixture(static_cast<size_t>(state.range(1)),
                    {store::MemoryMode::dbengine, 3600, disk.disk.get()});
    disk.commit();
    run_query(state, fixture.registry, window(state.range(0), state.range(2)));
  }
}
BENCHMARK(BM_DiskDataQuery)->Args({3600, 10, 600})->Unit(benchmark::kMillisecond);

// A year of a 10-dimension chart: a year of tiers, then an hour of samples.
void BM_YearFromTiers(benchmark::State& state) {
  DiskFixture disk;
  disk.import_year(static_cast<size_t>(state.range(1)));
  {
    Fixture fixture(static_cast<size_t>(state.range(1)),
                    {store::MemoryMode::dbengine, 3600, disk.disk.get()});
    disk.commit();
    run_query(state, fixture.registry, window(state.range(0), state.range(2)));
  }
}
BENCHMARK(BM_YearFromTiers)->Args({kYear, 10, 600})->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace trib::parent
