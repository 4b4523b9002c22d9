#pragma once
// The /api/v1/data engine: resolves the time window, reads the chart's series through
// store::SeriesReader and groups slots into points. Rendering is in data_format.h.
//
// Window rules (Netdata's): before <= 0 is relative to now, after <= 0 is relative to before,
// so after=-10 is the last 10 seconds (10 slots at update_every 1). The window is clamped to
// what the store holds. points > 0 groups ceil(slots / points) consecutive slots per point,
// from the newest backwards (the oldest point may cover fewer slots); a point's time is its
// newest slot. A group with no value is null.
//
// Tiers: with points > 0, a window that would group more than 16 slots per point reads the
// finest downsampled tier that covers it with at most points x 16 intervals (or the coarsest
// that covers it); min, max, sum and average combine the intervals' min, max, sum and count,
// so the answer equals grouping the samples when rows fall on interval boundaries.
//
// Runs on the parent's I/O loop; reads the Chart synchronously, keeps no reference after.

#include <cstdint>
#include <string>
#include <vector>

#include "parent/query/data_request.h"
#include "parent/store/chart.h"

namespace trib::parent::query {

struct QueryColumn {
  size_t dimension;  // index in Chart::dimensions()
  std::string id;
  std::string name;
  double latest_value;  // last stored value of the dimension, NaN when none
};

struct QueryResult {
  std::vector<QueryColumn> columns;  // dimensions selected (and not hidden by "nonzero")
  std::vector<int64_t> times;        // one per row, oldest first
  std::vector<double> values;        // row-major, times.size() x columns.size(); NaN = null
  int64_t after = 0;                 // the oldest slot covered (0 when no rows)
  int64_t before = 0;                // the newest row's time (0 when no rows)
  int32_t update_every = 1;          // of the chart
  int32_t view_update_every = 1;     // update_every * slots per point
  int64_t first_entry = 0;           // what the store holds for the chart
  int64_t last_entry = 0;
  size_t db_points_read = 0;
  size_t tier = 0;  // the tier read: 0 the samples, 1.. a downsampled tier
  double min = 0;   // over every non-null value shown (0 when none)
  double max = 0;

  double at(size_t row, size_t column) const { return values[row * columns.size() + column]; }
};

// The caller has found the chart and parsed the request; `now_s` resolves relative times.
// A window with after > before (after resolution) is an error.
Result<QueryResult> run_data_query(const store::Chart& chart, const DataRequest& request,
                                   int64_t now_s);

}  // namespace trib::parent::query
