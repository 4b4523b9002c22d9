#include "parent/storage/db_series.h"

#include <algorithm>
#include <cmath>
#include <limits>

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
  const SeriesExtent extent = disk_.extent(column.series_id);
  if (extent.last_s != 0) {
    if (first_s_ == 0 || extent.first_s < first_s_) first_s_ = extent.first_s;
    last_s_ = std::max(last_s_, extent.last_s);
  }
  column.last_s = extent.last_s;
  columns_.push_back(std::move(column));
}

void DbChartSeries::erase_dimension(size_t dimension) {
  seal(columns_[dimension]);
  columns_.erase(columns_.begin() + static_cast<std::ptrdiff_t>(dimension));
}

void DbChartSeries::append(int64_t timestamp_s, std::span<const double> values) {
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

size_t DbChartSeries::memory_bytes() const {
  size_t bytes = sizeof(*this) + host_guid_.capacity() + chart_id_.capacity();
  for (const Column& column : columns_) bytes += column.open.memory_bytes();
  return bytes;
}

}  // namespace trib::parent::storage
