#include "parent/query/data_query.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

namespace trib::parent::query {

namespace {

constexpr double kNull = std::numeric_limits<double>::quiet_NaN();
// Relative times further back than this are clamped (Netdata's API_RELATIVE_TIME_MAX), and
// absolute ones beyond kMaxEpoch too, so window arithmetic cannot overflow.
constexpr int64_t kMaxRelative = 3LL * 365 * 86400;
constexpr int64_t kMaxEpoch = 1LL << 40;
// A long window reads the finest tier that gives at most this many slots per point.
constexpr uint64_t kSlotsPerPoint = 16;

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

// A slot of a tier holds an interval's min, max, sum and count: grouping them gives what
// grouping the samples would (abs() is exact for intervals whose samples share a sign; for a
// mixed one it takes |sum| and the larger magnitude as max).
store::Aggregate absolute_of(const store::Aggregate& a) {
  if (a.min >= 0) return a;
  if (a.max <= 0) return store::Aggregate{-a.max, -a.min, -a.sum, a.count};
  return store::Aggregate{0, std::max(-a.min, a.max), std::fabs(a.sum), a.count};
}

double group_aggregates(std::span<const store::Aggregate> slots, GroupMethod method,
                        bool absolute) {
  store::Aggregate total;
  for (store::Aggregate a : slots) {
    if (a.count == 0) continue;
    if (absolute) a = absolute_of(a);
    if (total.count == 0) {
      total = a;
    } else {
      total.min = std::min(total.min, a.min);
      total.max = std::max(total.max, a.max);
      total.sum += a.sum;
      total.count += a.count;
    }
  }
  if (total.count == 0) return kNull;
  switch (method) {
    case GroupMethod::average:
      return total.sum / static_cast<double>(total.count);
    case GroupMethod::sum:
      return total.sum;
    case GroupMethod::min:
      return total.min;
    case GroupMethod::max:
      return total.max;
  }
  return kNull;
}

// Whether tier `info` holds the window's oldest data: it reaches back to `oldest`, or as far
// as anything is held (`earliest`, the oldest data time over every tier).
bool tier_covers(const store::TierInfo& info, int64_t oldest, int64_t earliest) {
  return info.first_s != 0 && info.first_s <= std::max(oldest, earliest);
}

// The finest tier that covers the window with at most points x kSlotsPerPoint slots; when
// none is that small, the coarsest that covers; when none covers, the one reaching back
// furthest.
size_t choose_tier(const std::vector<store::TierInfo>& tiers, int64_t oldest, int64_t newest,
                   int64_t points) {
  if (points <= 0 || tiers.size() < 2) return 0;
  const auto budget = static_cast<uint64_t>(points) * kSlotsPerPoint;
  int64_t earliest = 0;  // the oldest sample time some tier can vouch for
  for (const auto& info : tiers) {
    if (info.first_s == 0) continue;
    const int64_t data_from = info.first_s + info.every_s - tiers[0].every_s;
    if (earliest == 0 || data_from < earliest) earliest = data_from;
  }
  std::optional<size_t> coarsest_covering;
  for (size_t k = 0; k < tiers.size(); ++k) {
    if (k > 0 && tiers[k].every_s <= tiers[0].every_s) continue;  // no coarser than the samples
    if (!tier_covers(tiers[k], oldest, earliest)) continue;
    const auto slots = static_cast<uint64_t>((newest - oldest) / tiers[k].every_s + 1);
    if (slots <= budget) return k;
    coarsest_covering = k;
  }
  if (coarsest_covering.has_value()) return *coarsest_covering;
  size_t furthest = 0;
  for (size_t k = 1; k < tiers.size(); ++k) {
    if (tiers[k].first_s != 0 &&
        (tiers[furthest].first_s == 0 || tiers[k].first_s < tiers[furthest].first_s)) {
      furthest = k;
    }
  }
  return furthest;
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

  // A long window reads a downsampled tier: its slots are intervals of `every` seconds.
  const std::vector<store::TierInfo> tiers =
      request.points > 0 ? series.tiers() : std::vector<store::TierInfo>{};
  const size_t tier = choose_tier(tiers, oldest, newest, request.points);
  const int64_t every = tier == 0 ? ue : tiers[tier].every_s;
  if (tier != 0) oldest = floor_to(oldest, every);

  const auto slots = static_cast<size_t>((newest - oldest) / every + 1);
  const size_t group =
      request.points > 0 && slots > static_cast<size_t>(request.points)
          ? (slots + static_cast<size_t>(request.points) - 1) / static_cast<size_t>(request.points)
          : 1;
  const size_t rows = (slots + group - 1) / group;
  result.view_update_every = static_cast<int32_t>(every * static_cast<int64_t>(group));
  result.db_points_read = slots * result.columns.size();
  result.tier = tier;

  // Row r (oldest first) covers slots [slot_end - group, slot_end) of the buffer, where the
  // last row ends at the newest slot; the first row may be shorter.
  const size_t cols = result.columns.size();
  result.times.resize(rows);
  result.values.assign(rows * cols, kNull);
  auto group_rows = [&](size_t c, auto&& group_slots) {
    for (size_t r = 0; r < rows; ++r) {
      const size_t end = slots - (rows - 1 - r) * group;
      const size_t begin = end >= group ? end - group : 0;
      result.values[r * cols + c] = group_slots(begin, end - begin);
    }
  };
  if (tier == 0) {
    std::vector<double> raw(slots);
    for (size_t c = 0; c < cols; ++c) {
      series.read(result.columns[c].dimension, oldest, raw);
      group_rows(c, [&](size_t begin, size_t n) {
        return group_value(std::span<const double>(raw).subspan(begin, n), request.group,
                           request.options.absolute);
      });
    }
  } else {
    std::vector<store::Aggregate> intervals(slots);
    for (size_t c = 0; c < cols; ++c) {
      series.read_tier(result.columns[c].dimension, tier, oldest, intervals);
      group_rows(c, [&](size_t begin, size_t n) {
        return group_aggregates(std::span<const store::Aggregate>(intervals).subspan(begin, n),
                                request.group, request.options.absolute);
      });
    }
  }
  // A row's time is the newest sample slot it covers (for a tier: its last interval's end).
  for (size_t r = 0; r < rows; ++r) {
    const size_t end = slots - (rows - 1 - r) * group;
    result.times[r] = std::min(oldest + static_cast<int64_t>(end) * every - ue, newest);
  }
  result.after = oldest;
  result.before = result.times.back();

  if (request.options.nonzero) drop_all_zero_columns(result);
  compute_min_max(result);
  return result;
}

}  // namespace trib::parent::query
