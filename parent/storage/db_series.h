#pragma once
// memory mode = dbengine: one chart's samples on disk (DiskStore). Each dimension is a series
// of the index (host, chart, dimension -> id) with one open block filling in RAM; a block is
// sealed into the store when it holds DiskStoreOptions::block_samples samples, block_bytes
// encoded bytes, or was started seal_after ago. Every appended row is also journaled in the
// pending batch, so it is durable at the next commit whether or not its block is sealed.
//
// Gaps (NaN) are not stored: a missing timestamp reads back as NaN.
//
// Tiers: the store's writer rolls samples up into downsampled tiers (tier_rollup.h);
// read_tier() reads their committed points and computes the intervals not rolled up yet (the
// open one, the ones in flight) from the samples.
//
// Extents are read lazily: what a column's series holds on disk (its first and last timestamps,
// and the oldest tier point) is looked up the first time the chart is appended to or asked for
// its times, not when it is created, so a parent restoring 100,000 series from disk does not
// seek into every series' blocks before it serves.
//
// Single-threaded: lives on the parent's I/O loop, owned by its Chart; the DiskStore outlives it.

#include <string>
#include <vector>

#include "parent/storage/block_codec.h"
#include "parent/storage/disk_store.h"
#include "parent/store/series.h"

namespace trib::parent::storage {

class DbChartSeries final : public store::ChartSeries, public DiskStore::OpenBlocks {
 public:
  DbChartSeries(DiskStore& disk, std::string host_guid, std::string chart_id, int32_t update_every);
  ~DbChartSeries() override;  // seals what is open, so nothing waits on the journal for it

  int64_t first_time_s() const override {
    load_extents();
    return first_s_;
  }
  int64_t last_time_s() const override {
    load_extents();
    return last_s_;
  }
  int32_t update_every() const override { return update_every_; }
  void read(size_t dimension, int64_t after_s, std::span<double> out) const override;
  size_t memory_bytes() const override;
  std::vector<store::TierInfo> tiers() const override;
  void read_tier(size_t dimension, size_t tier, int64_t after_s,
                 std::span<store::Aggregate> out) const override;

  void append(int64_t timestamp_s, std::span<const double> values) override;
  void add_dimension(std::string_view dimension_id) override;
  void erase_dimension(size_t dimension) override;

  void seal_started_before(uint64_t loop_ms) override;

 private:
  struct Column {
    uint32_t series_id = 0;
    BlockEncoder open;
    uint64_t pinned_ticket = 0;  // journal ticket of the open block's first sample
    uint64_t opened_ms = 0;
    int64_t last_s = 0;  // the newest timestamp stored, on disk or open
  };
  void seal(Column& column);
  // Reads every column's extent from the store, once.
  void load_extents() const;
  void load_extent(Column& column) const;

  DiskStore& disk_;
  std::string host_guid_;
  std::string chart_id_;
  int32_t update_every_;
  // The extents are a cache filled on first use (load_extents()), hence mutable: first_s_,
  // last_s_ and each column's last_s.
  mutable bool extents_loaded_ = false;
  mutable int64_t first_s_ = 0;
  mutable int64_t last_s_ = 0;
  mutable std::vector<Column> columns_;
  std::vector<uint32_t> ids_;  // scratch for journal rows
};

}  // namespace trib::parent::storage
