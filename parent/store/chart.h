#pragma once
// One chart of one host: its definition, its dimensions (current and obsolete) and its samples.
//
// Redefinition (define() again with the same id): dimensions are matched by id. New ones are
// appended and read as null before their first sample; existing ones keep their data and take
// the new name/algorithm/...; dimensions missing from the new definition become *obsolete*:
// they receive no more values, keep their data for queries, are left out of /api/v1/charts,
// and are erased once the ring no longer holds any slot from before they became obsolete.
// A changed update_every restarts the chart's samples (the slot grid no longer fits).
//
// Late or duplicate samples (aligned timestamp <= the last stored one) are ignored and
// counted: a sender resending after a reconnect stores each sample exactly once.
//
// Single-threaded: lives on the parent's I/O loop; owned by its Host.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/base/result.h"
#include "common/model/metrics.h"
#include "parent/store/series.h"

namespace trib::parent::storage {
class DiskStore;
}  // namespace trib::parent::storage

namespace trib::parent::store {

enum class MemoryMode : uint8_t { none, ram, dbengine };
std::string_view to_string(MemoryMode mode);
// "none" | "ram" | "dbengine"; anything else is an error naming the valid modes. The Netdata
// aliases (save, map, alloc) are the caller's business: it warns about them.
Result<MemoryMode> parse_memory_mode(std::string_view text);
// Also Netdata 1.37's other names: `save` and `map` (its older disk modes) run as dbengine,
// `alloc` (a RAM mode) as ram; an alias sets `warning` for the caller to log.
Result<MemoryMode> parse_netdata_memory_mode(std::string_view text, std::string& warning);

struct StorageConfig {
  MemoryMode mode = MemoryMode::ram;
  uint32_t history = 3600;             // ring entries per dimension in ram mode
  storage::DiskStore* disk = nullptr;  // dbengine mode: the parent's store (outlives every host)

  // history matters only to the ram ring, so a dbengine host keeps its data across changes of it.
  bool operator==(const StorageConfig& other) const {
    return mode == other.mode && disk == other.disk &&
           (mode != MemoryMode::ram || history == other.history);
  }
};

struct Dimension {
  model::DimensionDef def;
  bool obsolete = false;
  int64_t obsolete_after_s = 0;  // the last timestamp it may hold data for, once obsolete
};

enum class StoreOutcome : uint8_t {
  stored,       // kept (or, in memory mode none, accepted)
  ignored_late  // timestamp not after the last stored one: a duplicate or late resend
};

class Chart {
 public:
  // `host_guid` names the chart's series in a disk store.
  Chart(const model::ChartDef& def, const StorageConfig& storage, std::string host_guid = {});

  const model::ChartDef& def() const { return def_; }
  // Every dimension still holding data: the current definition's, in its order of first
  // appearance, and obsolete ones. Indexes match SeriesReader's.
  const std::vector<Dimension>& dimensions() const { return dimensions_; }
  const SeriesReader& series() const { return *series_; }

  // Applies a new definition of this chart (same id); see the file comment.
  void redefine(const model::ChartDef& def);
  // Values in the order of def().dimensions; fewer values than dimensions is an error.
  Result<StoreOutcome> store(int64_t timestamp, std::span<const double> values);
  Result<StoreOutcome> store(const model::ChartSample& sample) {
    return store(sample.timestamp, sample.values);
  }
  // Drops every sample (a storage change); definitions stay.
  void reset_series(const StorageConfig& storage);

  // The newest timestamp stored; a chart restored from disk reads it from its series on first use.
  int64_t last_collected_s() const;
  uint64_t ignored_late() const { return ignored_late_; }
  // The last value stored for dimensions()[index], NaN when none.
  double last_value(size_t index) const;

 private:
  void make_series();
  void erase_aged_out_dimensions();

  model::ChartDef def_;
  StorageConfig storage_;
  std::string host_guid_;
  std::vector<Dimension> dimensions_;
  std::vector<size_t> def_to_dimension_;  // def_.dimensions[i] is dimensions_[def_to_dimension_[i]]
  std::unique_ptr<ChartSeries> series_;
  std::vector<double> row_;    // scratch row for append()
  bool has_obsolete_ = false;  // any dimension obsolete: erase_aged_out_dimensions() has work
  // dimensions() is def().dimensions, in that order: a row is appended as it came, no copy.
  bool in_definition_order_ = false;
  // A cache of series_->last_time_s() after a (re)start of the series, filled on first use, so
  // restoring a disk chart does not read its extents (db_series.h).
  mutable int64_t last_collected_s_ = 0;
  mutable bool last_collected_known_ = false;
  uint64_t ignored_late_ = 0;
};

}  // namespace trib::parent::store
