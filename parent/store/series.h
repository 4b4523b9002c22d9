#pragma once
// The boundary between the query engine and storage. Queries read samples only through
// SeriesReader, so the LMDB "dbengine" store can plug in beside the RAM ring (ram_series.h).
// Single-threaded: every series lives on the parent's I/O loop, like the Host that owns it.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

namespace trib::parent::store {

// Read access to the samples of one chart. Dimensions are addressed by their index in
// Chart::dimensions() (obsolete ones included while they keep data).
class SeriesReader {
 public:
  virtual ~SeriesReader() = default;

  // The oldest and newest timestamps still held, or 0 and 0 when nothing is.
  virtual int64_t first_time_s() const = 0;
  virtual int64_t last_time_s() const = 0;
  // The spacing of slots in seconds (the chart's update_every).
  virtual int32_t update_every() const = 0;
  // Fills out[i] with the value of dimension `dimension` at `after_s + i * update_every()`
  // (after_s aligned to update_every). Gaps, and slots outside [first, last], read as NaN.
  virtual void read(size_t dimension, int64_t after_s, std::span<double> out) const = 0;
  // Bytes of sample memory held (for /api/v1/charts rrd_memory_bytes).
  virtual size_t memory_bytes() const = 0;
};

// The write side the Chart drives. The Chart has already aligned and de-duplicated: append()
// receives strictly increasing timestamps, aligned to update_every.
class ChartSeries : public SeriesReader {
 public:
  // One value per dimension (size() == dimension count); NaN is a gap.
  virtual void append(int64_t timestamp_s, std::span<const double> values) = 0;
  // A new dimension at the end (a disk store finds its earlier data by id).
  virtual void add_dimension(std::string_view dimension_id) = 0;
  // Forgets a dimension and its data; later indexes shift down by one.
  virtual void erase_dimension(size_t dimension) = 0;
};

// memory mode = none: definitions only, nothing is kept.
class NullChartSeries final : public ChartSeries {
 public:
  explicit NullChartSeries(int32_t update_every) : update_every_(update_every) {}
  int64_t first_time_s() const override { return 0; }
  int64_t last_time_s() const override { return 0; }
  int32_t update_every() const override { return update_every_; }
  void read(size_t dimension, int64_t after_s, std::span<double> out) const override;
  size_t memory_bytes() const override { return 0; }
  void append(int64_t, std::span<const double>) override {}
  void add_dimension(std::string_view) override {}
  void erase_dimension(size_t) override {}

 private:
  int32_t update_every_;
};

}  // namespace trib::parent::store
