// /api/v1/data over the RAM store: the hot query of the dashboard.
// Run: build/release/tests/bench/query_bench
#include <benchmark/benchmark.h>

#include "common/http/url.h"
#include "parent/query/api.h"
#include "parent/store/host_registry.h"

namespace trib::parent {
namespace {

constexpr int64_t kNow = 1'700'000'000;

model::ChartDef chart_with(size_t dimensions) {
  model::ChartDef def;
  def.id = def.name = def.context = "bench.chart";
  def.title = "bench";
  def.units = "value";
  def.family = "bench";
  for (size_t i = 0; i < dimensions; ++i) {
    const std::string id = "d" + std::to_string(i);
    def.dimensions.push_back({id, id});
  }
  return def;
}

void BM_DataQuery(benchmark::State& state) {
  const auto seconds = state.range(0);
  const auto dimensions = static_cast<size_t>(state.range(1));
  model::HostInfo self;
  self.machine_guid = "00000000-0000-0000-0000-000000000001";
  self.hostname = "parent";
  store::HostRegistry registry(self, {store::MemoryMode::ram, 3600}, kNow - 4000);
  model::HostInfo child = self;
  child.machine_guid = "00000000-0000-0000-0000-000000000002";
  child.hostname = "child";
  store::Host* host = *registry.connect(child, {store::MemoryMode::ram, 3600}, kNow - 4000);
  (void)host->define_chart(chart_with(dimensions));
  std::vector<double> values(dimensions);
  for (int64_t t = kNow - 3599; t <= kNow; ++t) {
    for (size_t i = 0; i < dimensions; ++i) values[i] = static_cast<double>((t + i) % 977) / 7.0;
    (void)host->store("bench.chart", {t, values});
  }
  const auto params = *http::parse_query("chart=bench.chart&after=-" + std::to_string(seconds) +
                                         "&options=jsonwrap");
  size_t bytes = 0;
  for (auto _ : state) {
    auto response = query::handle_api(registry, "/host/child/api/v1/data", params, kNow);
    bytes = response.body.size();
    benchmark::DoNotOptimize(response);
  }
  state.counters["points"] = static_cast<double>(seconds);
  state.counters["body_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_DataQuery)->Args({600, 10})->Args({3600, 10})->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace trib::parent
