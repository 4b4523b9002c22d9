// Restart of a parent holding 1 GiB of dbengine data: the time from exec of tributary-parent
// to its first 200 answer on /api/v1/info (the store opened, the journal replayed, every host
// and chart restored from disk, the port listening).
//
// The data is generated once (about a minute) into $TRIB_RESTART_DATA (default
// /tmp/trib-restart-bench) and kept for later runs: 100 hosts x 50 charts x 20 dimensions
// (100,000 series), sealed blocks of noisy samples written through the DiskStore API, until
// the blocks take $TRIB_RESTART_BYTES (default 1 GiB).
// Run: build/release/tests/bench/restart_bench (the parent binary: $TRIB_PARENT_BINARY, else
// the one of the same build)
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <thread>

#include <unistd.h>

#include "common/event/loop.h"
#include "parent/storage/disk_store.h"
#include "tests/support/process.h"

namespace trib::parent {
namespace {

constexpr size_t kHosts = 100;
constexpr size_t kCharts = 50;
constexpr size_t kDims = 20;
constexpr int64_t kNow = 1'700'000'000;

std::string env_or(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

std::string guid_of(size_t host) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "00000000-0000-4000-8000-%012zu", host + 1);
  return buf;
}

// $TRIB_PARENT_BINARY, else the tributary-parent of this build (<build>/tests/bench/..).
std::string parent_binary() {
  const std::string given = env_or("TRIB_PARENT_BINARY", "");
  if (!given.empty()) return given;
  return (std::filesystem::read_symlink("/proc/self/exe").parent_path() / "../.." /
          "tributary-parent")
      .lexically_normal()
      .string();
}

// CPU seconds (user + system) a process has used so far: on a loaded machine the wall-clock
// time to serve says more about the neighbours than about the start-up work.
double cpu_seconds(pid_t pid) {
  std::string stat = test::read_file("/proc/" + std::to_string(pid) + "/stat");
  const size_t after_name = stat.rfind(')');
  if (after_name == std::string::npos) return 0;
  std::istringstream fields(stat.substr(after_name + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::stod(field);
  }
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

void commit(event::Loop& loop, storage::DiskStore& disk) {
  const uint64_t ticket = disk.flush();
  bool done = false;
  disk.when_committed(ticket, [&] { done = true; });
  while (!done) uv_run(loop.raw(), UV_RUN_ONCE);
}

// Hosts, charts and blocks of noisy samples (about 2.6 bytes each), round-robin over the
// series so that every series reaches back about the same time.
void generate(const std::string& data_dir, uint64_t target_bytes) {
  event::Loop loop;
  storage::DiskStoreOptions options;
  options.path = data_dir + "/dbengine";
  options.no_sync = true;
  options.flush_interval = std::chrono::milliseconds(0);
  options.max_age = std::chrono::seconds(0);
  options.tiers = {{std::chrono::seconds(60), std::chrono::seconds(365 * 86400)},
                   {std::chrono::seconds(3600), std::chrono::seconds(5 * 365 * 86400)}};
  auto disk = std::move(storage::DiskStore::open(loop, options)).value();
  std::vector<uint32_t> ids;
  for (size_t h = 0; h < kHosts; ++h) {
    model::HostInfo info;
    info.machine_guid = guid_of(h);
    info.hostname = "host-" + std::to_string(h);
    disk->save_host(info);
    for (size_t c = 0; c < kCharts; ++c) {
      model::ChartDef def;
      def.id = def.name = def.context = "bench.chart" + std::to_string(c);
      def.title = "bench";
      def.units = "value";
      def.family = "bench";
      def.update_every = 1;
      for (size_t d = 0; d < kDims; ++d) {
        const std::string id = "d" + std::to_string(d);
        def.dimensions.push_back({id, id});
        ids.push_back(disk->series_id(info.machine_guid, def.id, id));
      }
      disk->save_chart(info.machine_guid, def);
    }
  }
  commit(loop, *disk);
  uint64_t written = 0;
  const int64_t span = 512;
  for (int64_t round = 0; written < target_bytes; ++round) {
    const int64_t first = kNow - 400 * span + round * span;
    for (size_t s = 0; s < ids.size(); ++s) {
      storage::BlockEncoder block;
      for (int64_t i = 0; i < span && block.encoded_bytes() < 1536; ++i) {
        const double noise = std::sin(static_cast<double>((first + i) * 7919 + s)) * 50;
        block.append(first + i, 100 + static_cast<double>((first + i) % 60) + noise);
      }
      disk->write_block(ids[s], block);
      if (s % 20000 == 19999) commit(loop, *disk);
    }
    commit(loop, *disk);
    written = disk->stats().block_bytes_sealed;
  }
  disk.reset();
  (void)loop.close();
}

void BM_RestartToInfo(benchmark::State& state) {
  const std::string data_dir = env_or("TRIB_RESTART_DATA", "/tmp/trib-restart-bench");
  const uint64_t bytes =
      std::strtoull(env_or("TRIB_RESTART_BYTES", "1073741824").c_str(), nullptr, 10);
  const std::string marker = data_dir + "/generated-" + std::to_string(bytes);
  if (!std::filesystem::exists(marker)) {
    std::filesystem::remove_all(data_dir);
    std::filesystem::create_directories(data_dir + "/etc");
    generate(data_dir, bytes);
    test::write_file(data_dir + "/etc/parent.yaml", "fleet: {enabled: false}\n");
    test::write_file(marker, "");
  }
  const uint16_t port = test::free_port();
  double cpu_total = 0;
  for (auto _ : state) {
    const auto started = std::chrono::steady_clock::now();
    test::Process parent(
        parent_binary(),
        {"--config-dir", data_dir + "/etc", "--data-dir", data_dir, "--port", std::to_string(port)},
        data_dir + "/parent.log");
    while (test::http_get(port, "/api/v1/info", std::chrono::milliseconds(500)).status != 200) {
      if (!parent.running()) {
        state.SkipWithError("the parent exited; see its log");
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    const auto took = std::chrono::steady_clock::now() - started;
    state.SetIterationTime(std::chrono::duration<double>(took).count());
    cpu_total += cpu_seconds(parent.pid());
    parent.stop();
  }
  state.counters["parent_cpu_ms"] =
      cpu_total * 1000 / static_cast<double>(std::max<int64_t>(state.iterations(), 1));
  state.counters["data_mib"] =
      static_cast<double>(std::filesystem::file_size(data_dir + "/dbengine/data.mdb") >> 20);
}
BENCHMARK(BM_RestartToInfo)->UseManualTime()->Iterations(5)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace trib::parent
