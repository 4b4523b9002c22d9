#pragma once
// Reads a metrics dump: every chart of one host at full resolution, as written by
// tests/fixtures/agent-hour/dump_host.py (format: tests/fixtures/agent-hour/README.md). Used to
// replay a recorded hour of real agent metrics into the stores (tests and benchmarks).

#include <cstdint>
#include <string>
#include <vector>

#include "common/base/result.h"
#include "common/model/metrics.h"

namespace trib::test {

struct DumpedChart {
  model::ChartDef def;
  std::vector<int64_t> times;             // oldest first
  std::vector<std::vector<double>> rows;  // rows[i][dimension]; NaN for a gap
};

struct MetricsDump {
  std::string hostname;
  int32_t update_every = 1;
  int64_t after_s = 0;  // the window dumped, both ends included
  int64_t before_s = 0;
  std::vector<DumpedChart> charts;

  // Values that are not gaps.
  size_t samples() const;
};

// Reads `path` (zstd-compressed when it ends in ".zst"). A malformed line is an error naming the
// file and the line.
Result<MetricsDump> read_metrics_dump(const std::string& path);

// The recorded hour of tests/fixtures/agent-hour (TRIB_TEST_FIXTURES, else the source tree).
std::string agent_hour_fixture_path();

}  // namespace trib::test
