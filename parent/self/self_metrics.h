#pragma once
// The parent's own health as charts of its own host (family "tributary"): samples ingested per
// second, API queries per second, commit latency, disk bytes, bytes per sample, series, and
// whether the dbengine store is full or failing to commit. Built from cumulative counters the
// parent already keeps; rates come from the difference to the previous call.
//
// Single-threaded: the parent's I/O loop calls sample() from a 1 s timer and stores the result
// in its own host like any collected batch.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/model/metrics.h"
#include "parent/storage/disk_store.h"

namespace trib::parent::self {

// Cumulative counters and current levels, read on the I/O loop at one instant.
struct SelfCounters {
  uint64_t samples_stored = 0;  // over every host the registry holds
  uint64_t samples_late = 0;    // duplicates and late resends, ignored
  uint64_t queries = 0;         // API requests answered
  size_t dimensions = 0;        // over every host the registry holds
  uint64_t log_gaps = 0;        // gap records received: log byte ranges that will never arrive
  uint64_t metric_gaps = 0;     // and sample time ranges (a proxy's full spool dropped them)
  std::optional<storage::DiskStoreStats> disk;  // unset: no dbengine store
};

class SelfMetrics {
 public:
  // Every chart this produces, to define once before the first sample.
  static std::vector<model::ChartDef> charts();

  // One sample per chart at `now_s`. Rates cover the time since the previous call (the first
  // call has no rate: its rates are gaps). A counter that went down (a host was forgotten)
  // counts as no change rather than a negative rate.
  std::vector<std::pair<std::string, model::ChartSample>> sample(const SelfCounters& counters,
                                                                 int64_t now_s);

 private:
  std::optional<SelfCounters> previous_;
  int64_t previous_s_ = 0;
};

}  // namespace trib::parent::self
