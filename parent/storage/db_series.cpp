#include "parent/storage/db_series.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "parent/storage/tier_rollup.h"

namespace trib::parent::storage {

DbChartSeries::DbChartSeries(DiskStore& disk, std::string host_guid, std::string chart_id,
                             int32_t update_every)
    : disk_(disk),
      host_guid_(std::move(host_guid)),
      chart_id_(std::move(chart_id)),
      update_every_(std::max<int32_t>(update_every, 1)) {
  disk_.add_open_blocks(this);
}

DbChartSeries::~DbChartSeries() {
  for (Column& column : columns_) seal(column);
  disk_.remove_open_blocks(this);
}

void DbChartSeries::seal(Column& column) {
  if (column.open.empty()) return;
  disk_.write_block(column.series_id, column.open);
  disk_.unpin(column.pinned_ticket);
  column.open.clear();
}

void DbChartSeries::add_dimension(std::string_view dimension_id) {
  Column column;
  column.series_id = disk_.series_id(host_guid_, chart_id_, dimension_id);
  if (extents_loaded_) load_extent(column);
  columns_.push_back(std::move(column));
}

void DbChartSeries::load_extents() const {
  if (extents_loaded_) return;
  extents_loaded_ = true;
  for (Column& column : columns_) load_extent(column);
}

void DbChartSeries::load_extent(Column& column) const {
  const SeriesExtent extent = disk_.extent(column.series_id);
  if (extent.last_s != 0) {
    if (first_s_ == 0 || extent.first_s < first_s_) first_s_ = extent.first_s;
    last_s_ = std::max(last_s_, extent.last_s);
  }
  column.last_s = std::max(column.last_s, extent.last_s);
  // History older than tier 0's retention is still in the tiers.
  for (size_t tier = 1; tier <= disk_.tiers().size(); ++tier) {
    const SeriesExtent kept = disk_.tier_extent(column.series_id, tier);
    if (kept.last_s != 0 && (first_s_ == 0 || kept.first_s < first_s_)) first_s_ = kept.first_s;
  }
}

void DbChartSeries::erase_dimension(size_t dimension) {
  seal(columns_[dimension]);
  columns_.erase(columns_.begin() + static_cast<std::ptrdiff_t>(dimension));
}

void DbChartSeries::append(int64_t timestamp_s, std::span<const double> values) {
  load_extents();
  ids_.resize(columns_.size());
  const DiskStoreOptions& limits = disk_.options();
  for (size_t i = 0; i < columns_.size(); ++i) {
    Column& column = columns_[i];
    ids_[i] = column.series_id;
    // A timestamp at or before what the disk holds (a changed update_every replaying an old
    // range) would break a block's order: only later samples are kept.
    if (std::isnan(values[i]) || timestamp_s <= column.last_s) continue;
    if (column.open.empty()) {
      column.pinned_ticket = disk_.pending_ticket();
      column.opened_ms = disk_.io_loop().now_ms();
      disk_.pin(column.pinned_ticket);
    }
    column.open.append(timestamp_s, values[i]);
    column.last_s = timestamp_s;
    if (column.open.count() >= limits.block_samples ||
        column.open.encoded_bytes() >= limits.block_bytes) {
      seal(column);
    }
  }
  disk_.journal(timestamp_s, ids_, values.first(columns_.size()));
  if (first_s_ == 0) first_s_ = timestamp_s;
  last_s_ = timestamp_s;
}

void DbChartSeries::seal_started_before(uint64_t loop_ms) {
  for (Column& column : columns_) {
    if (!column.open.empty() && column.opened_ms < loop_ms) seal(column);
  }
}

void DbChartSeries::read(size_t dimension, int64_t after_s, std::span<double> out) const {
  std::fill(out.begin(), out.end(), std::numeric_limits<double>::quiet_NaN());
  if (dimension >= columns_.size() || out.empty()) return;
  const int64_t before_s = after_s + static_cast<int64_t>(out.size() - 1) * update_every_;
  auto place = [&](const DecodedBlock& block) {
    for (size_t i = 0; i < block.timestamps.size(); ++i) {
      const int64_t t = block.timestamps[i];
      if (t < after_s || t > before_s) continue;
      out[static_cast<size_t>((t - after_s) / update_every_)] = block.values[i];
    }
  };
  const Column& column = columns_[dimension];
  disk_.visit_blocks(column.series_id, after_s, before_s, place);
  if (!column.open.empty() && column.open.last_time_s() >= after_s &&
      column.open.first_time_s() <= before_s) {
    auto open = decode_block(column.open.serialize(false));
    if (open.ok()) place(*open);
  }
}

std::vector<store::TierInfo> DbChartSeries::tiers() const {
  std::vector<store::TierInfo> tiers{store::TierInfo{update_every_, 0}};
  for (const Column& column : columns_) {
    int64_t first_s = disk_.extent(column.series_id).first_s;
    // Samples not sealed into a block yet are tier 0's too (read() serves them): without them a
    // series younger than its first sealed block would send every query to a coarser tier.
    if (!column.open.empty() && (first_s == 0 || column.open.first_time_s() < first_s)) {
      first_s = column.open.first_time_s();
    }
    if (first_s != 0 && (tiers[0].first_s == 0 || first_s < tiers[0].first_s)) {
      tiers[0].first_s = first_s;
    }
  }
  for (size_t tier = 1; tier <= disk_.tiers().size(); ++tier) {
    store::TierInfo info{disk_.tiers()[tier - 1].every.count(), 0};
    for (const Column& column : columns_) {
      const SeriesExtent extent = disk_.tier_extent(column.series_id, tier);
      if (extent.last_s != 0 && (info.first_s == 0 || extent.first_s < info.first_s)) {
        info.first_s = extent.first_s;
      }
    }
    tiers.push_back(info);
  }
  return tiers;
}

void DbChartSeries::read_tier(size_t dimension, size_t tier, int64_t after_s,
                              std::span<store::Aggregate> out) const {
  std::fill(out.begin(), out.end(), store::Aggregate{});
  if (dimension >= columns_.size() || out.empty() || tier == 0 || tier > disk_.tiers().size()) {
    return;
  }
  const int64_t every = disk_.tiers()[tier - 1].every.count();
  const int64_t before_s = after_s + static_cast<int64_t>(out.size() - 1) * every;
  const uint32_t series_id = columns_[dimension].series_id;
  auto slot = [&](int64_t start) -> store::Aggregate& {
    return out[static_cast<size_t>((start - after_s) / every)];
  };
  // Not rolled up yet: the interval holding the newest sample, and any the writer has not
  // committed (bounded to one more interval, so a tier without points never reads the whole
  // window from the samples). Read before the points: a point committed in between is then
  // replaced by the same interval computed from the samples, never counted twice.
  load_extents();
  const SeriesExtent rolled = disk_.tier_extent(series_id, tier);
  disk_.visit_tier_points(series_id, tier, after_s, before_s, [&](const TierPoint& p) {
    slot(p.start_s) = store::Aggregate{p.min, p.max, p.sum, p.count};
  });
  const int64_t newest = columns_[dimension].last_s;
  int64_t from = std::max(floor_to(newest, every) - every, after_s);
  if (rolled.last_s != 0) from = std::max(from, rolled.last_s + every);
  const int64_t to = std::min(newest, before_s + every - 1);
  if (newest == 0 || from > to) return;
  for (int64_t start = from; start <= before_s; start += every) slot(start) = store::Aggregate{};
  const int64_t first_slot = floor_to(from, update_every_);
  std::vector<double> samples(static_cast<size_t>((to - first_slot) / update_every_ + 1));
  read(dimension, first_slot, samples);
  for (size_t i = 0; i < samples.size(); ++i) {
    const int64_t t = first_slot + static_cast<int64_t>(i) * update_every_;
    if (t < from || std::isnan(samples[i])) continue;
    store::Aggregate& a = slot(floor_to(t, every));
    if (a.count == 0) {
      a = store::Aggregate{samples[i], samples[i], samples[i], 1};
    } else {
      a.min = std::min(a.min, samples[i]);
      a.max = std::max(a.max, samples[i]);
      a.sum += samples[i];
      ++a.count;
    }
  }
}

size_t DbChartSeries::memory_bytes() const {
  size_t bytes = sizeof(*this) + host_guid_.capacity() + chart_id_.capacity();
  for (const Column& column : columns_) bytes += column.open.memory_bytes();
  return bytes;
}

}  // namespace trib::parent::storage
