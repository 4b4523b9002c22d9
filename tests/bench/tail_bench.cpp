// The tailer's throughput against the file-reading ceiling, and its start-up with many
// checkpoints (issue 3 benchmarks; results in docs/benchmarks.md).
//
//   build/release/tests/bench/tail_bench --benchmark_filter=Tail
//
// BM_ReadCeiling reads the file as `cat file > /dev/null` does (1 MiB reads); BM_TailToBatches
// runs the real Tailer over the same file (split, process, batch, checkpoint on ack), acking
// every batch at once, as the sender would with a fast parent.

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "agent/logs/tailer.h"
#include "support/process.h"

namespace {

namespace fs = std::filesystem;
using namespace trib::agent::logs;

constexpr size_t kLineBytes = 130;
constexpr size_t kLines = 1'000'000;

// The benchmarks' files, in a directory removed at exit.
const std::string& bench_dir() {
  static const trib::test::TempDir temp;
  static const std::string dir = [] {
    std::string d = temp.path();
    fs::create_directories(d + "/logs");
    std::ofstream out(d + "/logs/big.log", std::ios::binary);
    std::string line(kLineBytes - 1, 'x');
    for (size_t i = 0; i < kLines; ++i) {
      const std::string n = std::to_string(i);
      std::copy(n.begin(), n.end(), line.begin());
      out << line << '\n';
    }
    return d;
  }();
  return dir;
}

void BM_ReadCeiling(benchmark::State& state) {
  const std::string path = bench_dir() + "/logs/big.log";
  std::string buffer(1 << 20, '\0');
  for (auto _ : state) {
    const int fd = ::open(path.c_str(), O_RDONLY);
    ssize_t n = 0;
    while ((n = ::read(fd, buffer.data(), buffer.size())) > 0) benchmark::DoNotOptimize(n);
    ::close(fd);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kLines));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kLines * kLineBytes));
}
BENCHMARK(BM_ReadCeiling)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_TailToBatches(benchmark::State& state) {
  const std::string dir = bench_dir();
  trib::time::ManualClock clock;
  size_t records = 0;
  for (auto _ : state) {
    state.PauseTiming();
    fs::remove_all(dir + "/checkpoints");
    auto store = std::move(CheckpointStore::open(dir + "/checkpoints")).value();
    Tailer* self = nullptr;
    std::vector<uint64_t> tickets;
    auto tailer = std::move(Tailer::create(*store, clock, TailerLimits{}, [&](TailBatch batch) {
                    records += batch.logs.records.size();
                    tickets.push_back(batch.ticket);
                  })).value();
    self = tailer.get();
    LogsOptions options;
    options.sources.push_back(
        LogSourceOptions{.paths = {dir + "/logs/*.log"}, .start_at = "beginning"});
    (void)tailer->configure(options);
    tailer->scan();
    state.ResumeTiming();
    size_t before = 0;
    do {
      before = records;
      tailer->poll();
      for (const uint64_t t : tickets) self->acked(t);
      tickets.clear();
    } while (records != before);
    state.PauseTiming();
    tailer.reset();
    store.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(records));
  state.SetBytesProcessed(static_cast<int64_t>(records * kLineBytes));
}
BENCHMARK(BM_TailToBatches)->Unit(benchmark::kMillisecond)->UseRealTime();

// Start-up: open the store and restore 100,000 checkpoints of files read to their end (the
// history an agent keeps to recognise rotated files) and 1,000 of files being followed.
void BM_StartupWith100kCheckpoints(benchmark::State& state) {
  const std::string dir = bench_dir() + "/startup";
  fs::create_directories(dir + "/files");
  {
    auto store = std::move(CheckpointStore::open(dir + "/checkpoints")).value();
    std::vector<FileCheckpoint> checkpoints;
    // Finished files are kept while they exist: real (empty) rotated files, one directory.
    fs::create_directories(dir + "/old");
    for (int i = 0; i < 100'000; ++i) {
      const std::string source = dir + "/old/f" + std::to_string(i) + ".log";
      const std::string rotated = source + ".1";
      const int fd = ::open(rotated.c_str(), O_RDONLY | O_CREAT, 0644);
      struct stat st {};
      ::fstat(fd, &st);
      checkpoints.push_back({source,
                             1,
                             rotated,
                             {static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)},
                             take_fingerprint(fd).value(),
                             take_range_check(fd, 0).value(),
                             true});
      ::close(fd);
    }
    for (int i = 0; i < 1'000; ++i) {
      const std::string path = dir + "/files/a" + std::to_string(i) + ".log";
      std::ofstream(path) << "x\n";
      struct stat st {};
      ::stat(path.c_str(), &st);
      const int fd = ::open(path.c_str(), O_RDONLY);
      checkpoints.push_back({path,
                             1,
                             path,
                             {static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)},
                             take_fingerprint(fd).value(),
                             take_range_check(fd, 2).value(),
                             false});
      ::close(fd);
    }
    (void)store->commit(checkpoints, {});
  }
  trib::time::ManualClock clock;
  LogsOptions options;
  LogSourceOptions source;
  source.paths = {dir + "/files/*.log"};
  options.sources.push_back(source);
  // Until the agent follows its files again: restore, configure, and the first scan (which also
  // checks that each finished file still exists).
  for (auto _ : state) {
    auto store = std::move(CheckpointStore::open(dir + "/checkpoints")).value();
    auto tailer =
        std::move(Tailer::create(*store, clock, TailerLimits{}, [](TailBatch) {})).value();
    (void)tailer->configure(options);
    tailer->scan();
    benchmark::DoNotOptimize(tailer.get());
  }
}
BENCHMARK(BM_StartupWith100kCheckpoints)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
