#pragma once
// memory mode = ram: Netdata's fixed ring of `history` slots per dimension, one slot per
// update_every, so a chart covers history * update_every seconds.
//
// Values are stored as float (4 bytes, like Netdata's storage_number): a 24-bit mantissa keeps
// a relative error below 6e-8, far inside the 0.01 % budget for percentages such as system.cpu.
// Values beyond float range become +-inf; NaN marks a gap. Rings are allocated on the first
// sample, so charts defined but never collected cost no sample memory.
//
// Single-threaded (the parent's I/O loop). Owned by its Chart.

#include <vector>

#include "parent/store/series.h"

namespace trib::parent::store {

class RamChartSeries final : public ChartSeries {
 public:
  RamChartSeries(uint32_t history, int32_t update_every, size_t dimensions);

  int64_t first_time_s() const override { return first_s_; }
  int64_t last_time_s() const override { return last_s_; }
  int32_t update_every() const override { return update_every_; }
  void read(size_t dimension, int64_t after_s, std::span<double> out) const override;
  size_t memory_bytes() const override;

  void append(int64_t timestamp_s, std::span<const double> values) override;
  void add_dimension(std::string_view dimension_id) override;
  void erase_dimension(size_t dimension) override;

 private:
  size_t slot_of(int64_t timestamp_s) const;
  void fill_gap(int64_t from_s, int64_t to_s);  // marks slots in [from, to] as NaN

  uint32_t history_;
  int32_t update_every_;
  int64_t first_s_ = 0;
  int64_t last_s_ = 0;
  std::vector<std::vector<float>> rings_;  // one per dimension; empty until the first sample
};

}  // namespace trib::parent::store
