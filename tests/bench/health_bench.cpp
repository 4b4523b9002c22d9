// Health evaluation cost (issue 8): 500 hosts x 20 rules, every rule due every second, against
// the RAM store. One benchmark iteration is one evaluation pass (HealthService::run_once);
// ingest between passes is excluded from the timing. The share of one core is CPU time per
// pass / 1 s (real time also counts waiting for a core on a loaded machine).
// Run: build/release/tests/bench/health_bench
#include <benchmark/benchmark.h>

#include <string>

#include "common/event/loop.h"
#include "common/log/log.h"
#include "common/time/clock.h"
#include "parent/health/health_service.h"
#include "parent/health/rule_loader.h"

namespace trib::parent::health {
namespace {

constexpr int kHistory = 600;

model::ChartDef chart(const std::string& id, std::vector<std::string> dims) {
  model::ChartDef def;
  def.id = def.name = def.context = id;
  def.title = id;
  def.units = "value";
  def.family = "bench";
  for (const auto& d : dims) def.dimensions.push_back({d, d});
  return def;
}

std::vector<model::ChartDef> host_charts() {
  return {
      chart("system.cpu", {"user", "system", "nice", "iowait", "irq", "softirq", "steal", "idle"}),
      chart("system.load", {"load1", "load5", "load15"}),
      chart("system.ram", {"free", "used", "cached", "buffers"}),
      chart("system.swap", {"free", "used"}), chart("net.errors", {"inbound", "outbound"})};
}

// 20 rules over the 5 charts, the stock rules' shapes: lookups of 10 s to 5 min and calcs.
std::string rules_yaml() {
  std::string y = "alarms:\n";
  const char* lookups[] = {"average -1m of user,system", "max -10s of iowait",
                           "average -5m of user,system,nice", "min -1m of idle"};
  for (int i = 0; i < 4; ++i) {
    y += "  - {name: cpu_" + std::to_string(i) + ", on: system.cpu, lookup: '" + lookups[i] +
         "', every: 1s, warn: '$this > (($status >= $WARNING) ? 75 : 85)', crit: '$this > 95'}\n";
  }
  for (int i = 0; i < 4; ++i) {
    y += "  - {name: load_" + std::to_string(i) + ", on: system.load, lookup: 'max -" +
         std::to_string(i + 1) +
         "m of load15', every: 1s, warn: '$this > 8', crit: '$this > 16'}\n";
  }
  for (int i = 0; i < 4; ++i) {
    y += "  - {name: ram_" + std::to_string(i) +
         ", on: system.ram, calc: '$used * 100 / ($used + " +
         "$cached + $free + $buffers)', every: 1s, warn: '$this > " + std::to_string(80 + i) +
         "'}\n";
  }
  for (int i = 0; i < 4; ++i) {
    y += "  - {name: swap_" + std::to_string(i) + ", on: system.swap, lookup: 'average -" +
         std::to_string(10 * (i + 1)) + "s of used', every: 1s, warn: '$this > 1e9'}\n";
  }
  for (int i = 0; i < 4; ++i) {
    y += "  - {name: net_" + std::to_string(i) + ", on: net.errors, lookup: 'sum -" +
         std::to_string(i + 1) + "m abs of inbound,outbound', every: 1s, warn: '$this > 5'}\n";
  }
  return y;
}

void store_second(store::HostRegistry& registry, int64_t t) {
  for (const auto& host : registry.hosts()) {
    if (host->is_localhost()) continue;
    for (const auto& c : host->charts()) {
      model::ChartSample sample;
      sample.timestamp = t;
      for (size_t d = 0; d < c->def().dimensions.size(); ++d) {
        sample.values.push_back(static_cast<double>((t * 7 + static_cast<int64_t>(d) * 13) % 97));
      }
      (void)host->store(c->def().id, sample);
    }
  }
}

void BM_HealthPass(benchmark::State& state) {
  // Transitions are logged at info; the bench measures evaluation, not the terminal.
  log::get(log::Channel::health).set_level(spdlog::level::warn);
  log::get(log::Channel::store).set_level(spdlog::level::warn);
  const auto hosts = static_cast<int>(state.range(0));
  time::ManualClock clock;
  const store::StorageConfig ram{store::MemoryMode::ram, kHistory};
  model::HostInfo self;
  self.machine_guid = "00000000-0000-4000-8000-000000000000";
  self.hostname = "parent";
  store::HostRegistry registry(self, ram, clock.now_s());
  for (int h = 0; h < hosts; ++h) {
    model::HostInfo child;
    child.machine_guid = "00000000-0000-4000-8000-" + std::to_string(100000000000 + h);
    child.hostname = "host-" + std::to_string(h);
    store::Host* host = *registry.connect(child, ram, clock.now_s());
    for (const auto& def : host_charts()) (void)host->define_chart(def);
  }
  const int64_t start = clock.now_s();
  for (int64_t t = start - kHistory + 1; t <= start; ++t) store_second(registry, t);

  event::Loop loop;
  HealthOptions options;
  HealthService service(loop, registry, clock, options);
  const RuleSet rules = parse_rules(rules_yaml(), "bench.yaml");
  if (!rules.errors.empty()) state.SkipWithError(rules.errors.front().c_str());
  service.set_rules(rules);
  service.run_once();  // creates the instances
  for (auto _ : state) {
    state.PauseTiming();
    clock.advance_s(1);
    store_second(registry, clock.now_s());
    state.ResumeTiming();
    service.run_once();
  }
  state.counters["instances"] = static_cast<double>(service.instance_count());
  state.counters["evaluations/s"] = benchmark::Counter(
      static_cast<double>(service.instance_count()) * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate);
  (void)loop.close();
}
BENCHMARK(BM_HealthPass)->Arg(100)->Arg(500)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace trib::parent::health
