#include "parent/query/data_query.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace trib::parent::query {

namespace {

constexpr double kNull = std::numeric_limits<double>::quiet_NaN();
// Relative times further back than this are clamped (Netdata's API_RELATIVE_TIME_MAX), and
// absolute ones beyond kMaxEpoch too, so window arithmetic cannot overflow.
constexpr int64_t kMaxRelative = 3LL * 365 * 86400;
constexpr int64_t kMaxEpoch = 1LL << 40;

int64_t floor_to(int64_t t, int64_t step) {
  const int64_t r = t % step;
  return r < 0 ? t - r - step : t - r;
}

bool dimension_selected(const store::Dimension& dim, const std::vector<std::string>& patterns) {
  if (patterns.empty()) return true;
  return std::any_of(patterns.begin(), patterns.end(), [&](const std::string& p) {
    return wildcard_match(p, dim.def.id) || wildcard_match(p, dim.def.name);
  });
}

std::vector<QueryColumn> select_columns(const store::Chart& chart, const DataRequest& request) {
  std::vector<QueryColumn> columns;
  const auto& dims = chart.dimensions();
  for (size_t i = 0; i < dims.size(); ++i) {
    // Hidden dimensions are left out unless asked for by name, as Netdata does.
    if (dims[i].def.hidden && request.dimensions.empty()) continue;
    if (!dimension_selected(dims[i], request.dimensions)) continue;
    columns.push_back(QueryColumn{i, dims[i].def.id, dims[i].def.name, chart.last_value(i)});
  }
  return columns;
}

// Combines slots into one value by `method`, skipping gaps; all gaps make a null.
double group_value(std::span<const double> slots, GroupMethod method, bool absolute) {
  double acc = 0;
  size_t count = 0;
  for (double v : slots) {
    if (std::isnan(v)) continue;
    if (absolute) v = std::fabs(v);
    if (count == 0) {
      acc = v;
    } else {
      switch (method) {
        case GroupMethod::average:
        case GroupMethod::sum:
          acc += v;
          break;
        case GroupMethod::min:
          acc = std::min(acc, v);
          break;
        case GroupMethod::max:
          acc = std::max(acc, v);
          break;
      }
    }
    ++count;
  }
  if (count == 0) return kNull;
  return method == GroupMethod::average ? acc / static_cast<double>(count) : acc;
}

void drop_all_zero_columns(QueryResult& result) {
  const size_t rows = result.times.size();
  const size_t cols = result.columns.size();
  std::vector<bool> keep(cols, false);
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < cols; ++c) {
      const double v = result.at(r, c);
      if (!std::isnan(v) && v != 0) keep[c] = true;
    }
  }
  if (std::all_of(keep.begin(), keep.end(), [](bool k) { return k; })) return;
  std::vector<QueryColumn> columns;
  std::vector<double> values;
  values.reserve(result.values.size());
  for (size_t c = 0; c < cols; ++c) {
    if (keep[c]) columns.push_back(result.columns[c]);
  }
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < cols; ++c) {
      if (keep[c]) values.push_back(result.at(r, c));
    }
  }
  result.columns = std::move(columns);
  result.values = std::move(values);
}

void compute_min_max(QueryResult& result) {
  bool any = false;
  for (double v : result.values) {
    if (std::isnan(v)) continue;
    result.min = any ? std::min(result.min, v) : v;
    result.max = any ? std::max(result.max, v) : v;
    any = true;
  }
}

}  // namespace

Result<QueryResult> run_data_query(const store::Chart& chart, const DataRequest& request,
                                   int64_t now_s) {
  const store::SeriesReader& series = chart.series();
  const int64_t ue = series.update_every();

  const int64_t before = request.before > 0 ? std::min(request.before, kMaxEpoch)
                                            : now_s + std::max(request.before, -kMaxRelative);
  // A relative `after` is a duration: after=-10 covers 10 seconds ending at `before`.
  const int64_t after = request.after > 0 ? std::min(request.after, kMaxEpoch)
                                          : before + std::max(request.after, -kMaxRelative) + ue;
  if (after > before) {
    return Error(Errc::invalid_argument, "Invalid time window: after (" + std::to_string(after) +
                                             ") is later than before (" + std::to_string(before) +
                                             ")");
  }

  QueryResult result;
  result.update_every = static_cast<int32_t>(ue);
  result.view_update_every = static_cast<int32_t>(ue);
  result.first_entry = series.first_time_s();
  result.last_entry = series.last_time_s();
  result.columns = select_columns(chart, request);

  // Align to the slot grid and clamp to what the store holds.
  int64_t newest = floor_to(before, ue);
  int64_t oldest = floor_to(after + ue - 1, ue);
  if (result.last_entry != 0) {
    newest = std::min(newest, result.last_entry);
    oldest = std::max(oldest, result.first_entry);
  }
  if (result.last_entry == 0 || newest < oldest || result.columns.empty()) {
    return result;  // no rows
  }

  const auto slots = static_cast<size_t>((newest - oldest) / ue + 1);
  const size_t group =
      request.points > 0 && slots > static_cast<size_t>(request.points)
          ? (slots + static_cast<size_t>(request.points) - 1) / static_cast<size_t>(request.points)
          : 1;
  const size_t rows = (slots + group - 1) / group;
  result.view_update_every = static_cast<int32_t>(ue * static_cast<int64_t>(group));
  result.db_points_read = slots * result.columns.size();

  // Row r (oldest first) covers slots [slot_end - group, slot_end) of the raw buffer, where
  // the last row ends at the newest slot; the first row may be shorter.
  const size_t cols = result.columns.size();
  result.times.resize(rows);
  result.values.assign(rows * cols, kNull);
  std::vector<double> raw(slots);
  for (size_t c = 0; c < cols; ++c) {
    series.read(result.columns[c].dimension, oldest, raw);
    for (size_t r = 0; r < rows; ++r) {
      const size_t end = slots - (rows - 1 - r) * group;
      const size_t begin = end >= group ? end - group : 0;
      result.values[r * cols + c] =
          group_value(std::span<const double>(raw).subspan(begin, end - begin), request.group,
                      request.options.absolute);
    }
  }
  for (size_t r = 0; r < rows; ++r) {
    const size_t end = slots - (rows - 1 - r) * group;
    result.times[r] = oldest + static_cast<int64_t>(end - 1) * ue;
  }
  result.after = oldest;
  result.before = newest;

  if (request.options.nonzero) drop_all_zero_columns(result);
  compute_min_max(result);
  return result;
}

}  // namespace trib::parent::query
