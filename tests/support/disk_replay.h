#pragma once
// Replays a metrics dump (metrics_dump.h) into a real DiskStore through DbChartSeries, the way
// a live stream fills it: rows in time order across charts, committed by the store's writer
// thread, every block sealed at the end. Header-only: only the parent's tests and benchmarks
// link the store.
//
// Not replayed: seal_after (blocks sealed by age on the I/O loop's clock). At one sample per
// second a block reaches block_samples (512) first; only charts with update_every > 1 (in the
// agent hour: system.load, every 5 s) seal smaller blocks in a live parent.

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/event/loop.h"
#include "parent/storage/db_series.h"
#include "parent/storage/disk_store.h"
#include "tests/support/metrics_dump.h"

namespace trib::test {

struct ReplayFigures {
  uint64_t samples = 0;  // samples sealed into blocks
  uint64_t blocks = 0;
  uint64_t block_bytes = 0;  // sealed block bytes, keys included (as the parent logs at exit)

  double bytes_per_sample() const {
    return samples == 0 ? 0 : static_cast<double>(block_bytes) / static_cast<double>(samples);
  }
};

// Runs `loop` until everything handed to the writer so far has committed.
inline void commit_all(event::Loop& loop, parent::storage::DiskStore& disk) {
  const uint64_t ticket = disk.flush();
  bool done = false;
  disk.when_committed(ticket, [&] { done = true; });
  while (!done) uv_run(loop.raw(), UV_RUN_ONCE);
}

// One DbChartSeries per chart of `dump`, with its dimensions, for host `guid`.
inline std::vector<std::unique_ptr<parent::storage::DbChartSeries>> open_dump_series(
    parent::storage::DiskStore& disk, const MetricsDump& dump, const std::string& guid) {
  std::vector<std::unique_ptr<parent::storage::DbChartSeries>> series;
  for (const DumpedChart& chart : dump.charts) {
    series.push_back(std::make_unique<parent::storage::DbChartSeries>(disk, guid, chart.def.id,
                                                                      chart.def.update_every));
    for (const model::DimensionDef& dim : chart.def.dimensions) {
      series.back()->add_dimension(dim.id);
    }
  }
  return series;
}

// Appends every row of `dump` as host `guid`, seals every block and waits for the commit.
// Returns what this replay sealed (the store's counters before and after).
inline ReplayFigures replay_dump(event::Loop& loop, parent::storage::DiskStore& disk,
                                 const MetricsDump& dump, const std::string& guid) {
  const parent::storage::DiskStoreStats before = disk.stats();
  model::HostInfo host;
  host.machine_guid = guid;
  host.hostname = dump.hostname;
  host.update_every = dump.update_every;
  disk.save_host(host);
  for (const DumpedChart& chart : dump.charts) disk.save_chart(guid, chart.def);

  auto series = open_dump_series(disk, dump, guid);
  std::vector<size_t> next(dump.charts.size(), 0);  // each chart's next row
  int64_t flushed_s = dump.after_s;
  for (int64_t t = dump.after_s; t <= dump.before_s; ++t) {
    for (size_t c = 0; c < dump.charts.size(); ++c) {
      const DumpedChart& chart = dump.charts[c];
      if (next[c] < chart.times.size() && chart.times[next[c]] == t) {
        series[c]->append(t, chart.rows[next[c]]);
        ++next[c];
      }
    }
    // A batch per minute of data keeps the journal (and the writer's queue) short.
    if (t - flushed_s >= 60) {
      commit_all(loop, disk);
      flushed_s = t;
    }
  }
  series.clear();  // seals every open block
  commit_all(loop, disk);

  const parent::storage::DiskStoreStats& after = disk.stats();
  return ReplayFigures{after.samples_sealed - before.samples_sealed,
                       after.blocks_sealed - before.blocks_sealed,
                       after.block_bytes_sealed - before.block_bytes_sealed};
}

}  // namespace trib::test
