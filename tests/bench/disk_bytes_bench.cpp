// Bytes per sample on disk (issue 4): the recorded hour of a real agent's metrics
// (tests/fixtures/agent-hour) and loadgen's synthetic values, each replayed into a real
// DiskStore with its writer thread, every block sealed. The figure is the one the parent logs at
// exit: sealed block bytes, keys included, over samples sealed. Also the encoder's cost per
// sample (append, and sealing a full block), to weigh a better encoding against ingest CPU.
// Run: build/release/tests/bench/disk_bytes_bench (timings are per iteration; the byte figures
// are the counters bytes_per_sample, samples, blocks).
#include <benchmark/benchmark.h>

#include <unistd.h>
#include <cmath>
#include <filesystem>

#include "agent/loadgen/loadgen.h"
#include "common/stream/wire.h"
#include "common/stream/zstd_codec.h"
#include "parent/storage/block_codec.h"
#include "parent/storage/layout.h"
#include "tests/support/disk_replay.h"
#include "tests/support/metrics_dump.h"

namespace trib::parent {
namespace {

constexpr const char* kGuid = "b7b7b7b7-1111-4222-8333-444444444444";
constexpr size_t kBlockSamples = 512;  // DiskStoreOptions' defaults
constexpr size_t kBlockBytes = 1536;

const test::MetricsDump& agent_hour() {
  static const test::MetricsDump dump = [] {
    auto read = test::read_metrics_dump(test::agent_hour_fixture_path());
    if (!read.ok()) {
      std::fprintf(stderr, "%s\n", read.error().describe().c_str());
      std::exit(1);
    }
    return std::move(read).value();
  }();
  return dump;
}

// An hour of loadgen's default load (10 charts x 10 dimensions, one row per second), with the
// values tributary-loadgen sends.
const test::MetricsDump& synthetic_hour() {
  static const test::MetricsDump dump = [] {
    test::MetricsDump d;
    d.hostname = "loadgen";
    d.after_s = 1'700'000'000;
    d.before_s = d.after_s + 3599;
    for (uint32_t c = 0; c < 10; ++c) {
      test::DumpedChart chart;
      chart.def.id = "loadgen.c" + std::to_string(c);
      for (uint32_t dim = 0; dim < 10; ++dim) {
        model::DimensionDef def;
        def.id = "d" + std::to_string(dim);
        chart.def.dimensions.push_back(std::move(def));
      }
      for (int64_t t = d.after_s; t <= d.before_s; ++t) {
        chart.times.push_back(t);
        std::vector<double> row;
        for (uint32_t dim = 0; dim < 10; ++dim) {
          row.push_back(agent::loadgen::load_value(t - d.after_s, c, dim));
        }
        chart.rows.push_back(std::move(row));
      }
      d.charts.push_back(std::move(chart));
    }
    return d;
  }();
  return dump;
}

void replay(benchmark::State& state, const test::MetricsDump& dump) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("trib-disk-bytes-bench-" + std::to_string(::getpid()));
  test::ReplayFigures figures;
  for (auto _ : state) {
    std::filesystem::remove_all(dir);
    event::Loop loop;
    storage::DiskStoreOptions options;
    options.path = dir.string();
    options.max_age = std::chrono::seconds(0);
    options.flush_interval = std::chrono::milliseconds(0);
    auto disk = storage::DiskStore::open(loop, options);
    if (!disk.ok()) {
      state.SkipWithError(disk.error().describe().c_str());
      return;
    }
    figures = test::replay_dump(loop, **disk, dump, kGuid);
    disk->reset();
    (void)loop.close();
  }
  std::filesystem::remove_all(dir);
  state.counters["bytes_per_sample"] = figures.bytes_per_sample();
  state.counters["samples"] = static_cast<double>(figures.samples);
  state.counters["blocks"] = static_cast<double>(figures.blocks);
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(figures.samples));
}

void BM_AgentHourOnDisk(benchmark::State& state) { replay(state, agent_hour()); }
void BM_SyntheticHourOnDisk(benchmark::State& state) { replay(state, synthetic_hour()); }
BENCHMARK(BM_AgentHourOnDisk)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(BM_SyntheticHourOnDisk)->Unit(benchmark::kMillisecond)->Iterations(1);

// Calls fn(timestamps, values) for each dimension's non-gap samples of `dump`.
template <class Fn>
void for_each_series(const test::MetricsDump& dump, Fn&& fn) {
  std::vector<int64_t> times;
  std::vector<double> values;
  for (const test::DumpedChart& chart : dump.charts) {
    for (size_t d = 0; d < chart.def.dimensions.size(); ++d) {
      times.clear();
      values.clear();
      for (size_t i = 0; i < chart.times.size(); ++i) {
        if (std::isnan(chart.rows[i][d])) continue;
        times.push_back(chart.times[i]);
        values.push_back(chart.rows[i][d]);
      }
      fn(times, values);
    }
  }
}

// What ingest pays per sample: BlockEncoder::append, blocks cut as DbChartSeries cuts them.
void BM_AppendAgentHour(benchmark::State& state) {
  const test::MetricsDump& dump = agent_hour();
  size_t samples = 0;
  for (auto _ : state) {
    storage::BlockEncoder block;
    for_each_series(dump, [&](const std::vector<int64_t>& times, const std::vector<double>& vs) {
      for (size_t i = 0; i < times.size(); ++i) {
        block.append(times[i], vs[i]);
        if (block.count() >= kBlockSamples || block.encoded_bytes() >= kBlockBytes) {
          benchmark::DoNotOptimize(block.encoded_bytes());
          block.clear();
        }
      }
      block.clear();
      samples += times.size();
    });
  }
  state.SetItemsProcessed(static_cast<int64_t>(samples));
}
BENCHMARK(BM_AppendAgentHour)->Unit(benchmark::kMillisecond);

// The blocks of a dump, cut as DbChartSeries cuts them (block_samples or block_bytes).
std::vector<storage::BlockEncoder> blocks_of(const test::MetricsDump& dump, size_t& samples) {
  std::vector<storage::BlockEncoder> blocks;
  samples = 0;
  for_each_series(dump, [&](const std::vector<int64_t>& times, const std::vector<double>& vs) {
    storage::BlockEncoder block;
    for (size_t i = 0; i < times.size(); ++i) {
      block.append(times[i], vs[i]);
      if (block.count() >= kBlockSamples || block.encoded_bytes() >= kBlockBytes) {
        blocks.push_back(block);
        block.clear();
      }
    }
    if (!block.empty()) blocks.push_back(block);
    samples += times.size();
  });
  return blocks;
}

// What a sealed block costs in the blocks database, counted as DiskStore counts it: the value
// (extent and block) plus 12 bytes of key.
size_t stored_bytes(const storage::BlockEncoder& block, const std::string& bytes) {
  return storage::layout::block_value(block.first_time_s(), block.last_time_s(), bytes).size() + 12;
}

// Sealing as it was before version 2: the version 1 bit stream, zstd-wrapped when smaller.
std::string seal_version1(const storage::BlockEncoder& block) {
  const std::string plain = block.serialize(false);
  stream::wire::Reader header(plain, 0);
  (void)header.u8("version");
  (void)header.u8("flags");
  (void)header.varint("count");
  const size_t header_size = plain.size() - header.remaining();
  const std::string_view bits = std::string_view(plain).substr(header_size);
  if (bits.size() < 64) return plain;
  std::string packed;
  stream::wire::put_varint(packed, bits.size());
  thread_local stream::ZstdCompressor compressor(3);
  if (!compressor.compress(bits, packed).ok() || packed.size() >= bits.size()) return plain;
  std::string out = plain.substr(0, header_size);
  out[1] = static_cast<char>(storage::kBlockFlagZstd);
  return out + packed;
}

// What sealing pays per sample, and the bytes per sample it gives (keys included): serialize()
// of every block of the dump (version 2), or (version1 = true) the sealing of before version 2.
void seal(benchmark::State& state, const test::MetricsDump& dump, bool version1) {
  size_t samples = 0;
  const std::vector<storage::BlockEncoder> blocks = blocks_of(dump, samples);
  size_t bytes = 0;
  for (auto _ : state) {
    bytes = 0;
    for (const auto& block : blocks) {
      bytes += stored_bytes(block, version1 ? seal_version1(block) : block.serialize(true));
    }
    benchmark::DoNotOptimize(bytes);
  }
  state.counters["bytes_per_sample"] = static_cast<double>(bytes) / static_cast<double>(samples);
  state.counters["blocks"] = static_cast<double>(blocks.size());
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(samples));
}

void BM_SealAgentHour(benchmark::State& state) { seal(state, agent_hour(), false); }
void BM_SealAgentHourVersion1(benchmark::State& state) { seal(state, agent_hour(), true); }
void BM_SealSyntheticHour(benchmark::State& state) { seal(state, synthetic_hour(), false); }
void BM_SealSyntheticHourVersion1(benchmark::State& state) { seal(state, synthetic_hour(), true); }
BENCHMARK(BM_SealAgentHour)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SealAgentHourVersion1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SealSyntheticHour)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SealSyntheticHourVersion1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace trib::parent
