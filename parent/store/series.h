#pragma once
// The boundary between the query engine and storage. Queries read samples only through
// SeriesReader, so the LMDB "dbengine" store can plug in beside the RAM ring (ram_series.h).
// Single-threaded: every series lives on the parent's I/O loop, like the Host that owns it.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

namespace trib::parent::store {

// The samples of one interval of a downsampled tier. count 0: none (a gap).
struct Aggregate {
  double min = 0;
  double max = 0;
  double sum = 0;
  uint32_t count = 0;
};

// A resolution a series can be read at: tier 0 is the samples themselves (every =
// update_every), tiers 1..n are downsampled, coarser each.
struct TierInfo {
  int64_t every_s = 1;
  int64_t first_s = 0;  // the oldest interval start held; 0: nothing
};

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

  // Tier 0 (the samples), then any downsampled tiers, finest first. A long query reads the
  // finest tier that covers its window with few enough intervals (query/data_query.h).
  virtual std::vector<TierInfo> tiers() const { return {TierInfo{update_every(), first_time_s()}}; }
  // Fills out[i] with the aggregate of tier `tier`'s interval starting at after_s + i * every
  // (after_s aligned to every), 1 <= tier < tiers().size(). Intervals not yet rolled up (the
  // newest) are computed from the samples, so the result is the same as reading tier 0.
  virtual void read_tier(size_t dimension, size_t tier, int64_t after_s,
                         std::span<Aggregate> out) const {
    (void)dimension, (void)tier, (void)after_s;
    std::fill(out.begin(), out.end(), Aggregate{});
  }
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
