#include "parent/store/ram_series.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

namespace trib::parent::store {

namespace {
constexpr float kGap = std::numeric_limits<float>::quiet_NaN();
}  // namespace

void NullChartSeries::read(size_t, int64_t, std::span<double> out) const {
  std::fill(out.begin(), out.end(), std::numeric_limits<double>::quiet_NaN());
}

RamChartSeries::RamChartSeries(uint32_t history, int32_t update_every, size_t dimensions)
    : history_(std::max<uint32_t>(history, 1)),
      update_every_(std::max<int32_t>(update_every, 1)),
      rings_(dimensions) {}

size_t RamChartSeries::slot_of(int64_t timestamp_s) const {
  return static_cast<size_t>((timestamp_s / update_every_) % static_cast<int64_t>(history_));
}

void RamChartSeries::fill_gap(int64_t from_s, int64_t to_s) {
  for (int64_t t = from_s; t <= to_s; t += update_every_) {
    const size_t slot = slot_of(t);
    for (auto& ring : rings_) ring[slot] = kGap;
  }
}

void RamChartSeries::append(int64_t timestamp_s, std::span<const double> values) {
  assert(values.size() == rings_.size());
  assert(timestamp_s > last_s_ && timestamp_s % update_every_ == 0);
  for (auto& ring : rings_) {
    if (ring.empty()) ring.assign(history_, kGap);
  }
  const int64_t span_s = static_cast<int64_t>(history_) * update_every_;
  if (last_s_ == 0 || timestamp_s - last_s_ >= span_s) {
    // First sample, or a silence longer than the ring: nothing older survives.
    if (last_s_ != 0) fill_gap(timestamp_s - span_s + update_every_, timestamp_s);
    first_s_ = timestamp_s;
  } else {
    fill_gap(last_s_ + update_every_, timestamp_s - update_every_);
    first_s_ = std::max(first_s_, timestamp_s - span_s + update_every_);
  }
  const size_t slot = slot_of(timestamp_s);
  for (size_t d = 0; d < rings_.size(); ++d) rings_[d][slot] = static_cast<float>(values[d]);
  last_s_ = timestamp_s;
}

void RamChartSeries::add_dimension(std::string_view) {
  rings_.emplace_back();
  if (last_s_ != 0) rings_.back().assign(history_, kGap);
}

void RamChartSeries::erase_dimension(size_t dimension) {
  assert(dimension < rings_.size());
  rings_.erase(rings_.begin() + static_cast<std::ptrdiff_t>(dimension));
}

void RamChartSeries::read(size_t dimension, int64_t after_s, std::span<double> out) const {
  const std::vector<float>* ring = dimension < rings_.size() ? &rings_[dimension] : nullptr;
  int64_t t = after_s;
  for (double& value : out) {
    if (ring == nullptr || ring->empty() || t < first_s_ || t > last_s_) {
      value = std::numeric_limits<double>::quiet_NaN();
    } else {
      value = static_cast<double>((*ring)[slot_of(t)]);
    }
    t += update_every_;
  }
}

size_t RamChartSeries::memory_bytes() const {
  size_t bytes = sizeof(*this);
  for (const auto& ring : rings_) bytes += sizeof(ring) + ring.capacity() * sizeof(float);
  return bytes;
}

}  // namespace trib::parent::store
