#include "parent/store/chart.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "parent/storage/db_series.h"
#include "parent/store/ram_series.h"

namespace trib::parent::store {

std::string_view to_string(MemoryMode mode) {
  switch (mode) {
    case MemoryMode::none:
      return "none";
    case MemoryMode::ram:
      return "ram";
    case MemoryMode::dbengine:
      return "dbengine";
  }
  return "?";
}

Result<MemoryMode> parse_memory_mode(std::string_view text) {
  if (text == "ram") return MemoryMode::ram;
  if (text == "none") return MemoryMode::none;
  if (text == "dbengine") return MemoryMode::dbengine;
  return Error(Errc::invalid_argument, "memory mode '" + std::string(text) +
                                           "' is not supported here (valid: none, ram, dbengine)");
}

Result<MemoryMode> parse_netdata_memory_mode(std::string_view text, std::string& warning) {
  MemoryMode mode = MemoryMode::ram;
  if (text == "save" || text == "map") {
    mode = MemoryMode::dbengine;
  } else if (text == "alloc") {
    mode = MemoryMode::ram;
  } else {
    return parse_memory_mode(text);
  }
  warning = "memory mode '" + std::string(text) + "' is an alias of '" +
            std::string(to_string(mode)) + "' here";
  return mode;
}

Chart::Chart(const model::ChartDef& def, const StorageConfig& storage, std::string host_guid)
    : storage_(storage), host_guid_(std::move(host_guid)) {
  def_.id = def.id;
  def_.update_every = std::max(def.update_every, 1);
  make_series();
  redefine(def);
  // A chart restored from disk continues after what is stored (last_collected_s() reads it when
  // first needed): resends are not stored twice.
  last_collected_known_ = false;
}

void Chart::make_series() {
  if (storage_.mode == MemoryMode::dbengine && storage_.disk != nullptr) {
    series_ = std::make_unique<storage::DbChartSeries>(*storage_.disk, host_guid_, def_.id,
                                                       def_.update_every);
    for (const Dimension& d : dimensions_) series_->add_dimension(d.def.id);
  } else if (storage_.mode == MemoryMode::ram) {
    series_ =
        std::make_unique<RamChartSeries>(storage_.history, def_.update_every, dimensions_.size());
  } else {
    series_ = std::make_unique<NullChartSeries>(def_.update_every);
  }
}

void Chart::reset_series(const StorageConfig& storage) {
  storage_ = storage;
  std::erase_if(dimensions_, [](const Dimension& d) { return d.obsolete; });
  make_series();
  last_collected_known_ = false;
  redefine(def_);  // rebuilds the index after dropping obsolete dimensions
}

void Chart::redefine(const model::ChartDef& def) {
  const int32_t old_update_every = def_.update_every;
  def_ = def;
  def_.update_every = std::max(def.update_every, 1);
  if (def_.name.empty()) def_.name = def_.id;
  if (def_.update_every != old_update_every) {
    std::erase_if(dimensions_, [](const Dimension& d) { return d.obsolete; });
    make_series();
    last_collected_known_ = false;
  }

  std::vector<bool> still_defined(dimensions_.size(), false);
  def_to_dimension_.clear();
  for (auto& dim_def : def_.dimensions) {
    if (dim_def.name.empty()) dim_def.name = dim_def.id;
    auto it = std::find_if(dimensions_.begin(), dimensions_.end(),
                           [&](const Dimension& d) { return d.def.id == dim_def.id; });
    if (it == dimensions_.end()) {
      dimensions_.push_back(Dimension{dim_def, false, 0});
      series_->add_dimension(dim_def.id);
      still_defined.push_back(true);
      def_to_dimension_.push_back(dimensions_.size() - 1);
    } else {
      it->def = dim_def;
      it->obsolete = false;
      const auto index = static_cast<size_t>(it - dimensions_.begin());
      still_defined[index] = true;
      def_to_dimension_.push_back(index);
    }
  }
  for (size_t i = 0; i < dimensions_.size(); ++i) {
    if (!still_defined[i] && !dimensions_[i].obsolete) {
      dimensions_[i].obsolete = true;
      dimensions_[i].obsolete_after_s = series_->last_time_s();
    }
  }
  erase_aged_out_dimensions();
}

void Chart::erase_aged_out_dimensions() {
  has_obsolete_ = std::any_of(dimensions_.begin(), dimensions_.end(),
                              [](const Dimension& d) { return d.obsolete; });
  in_definition_order_ = !has_obsolete_;
  for (size_t i = 0; i < def_to_dimension_.size() && in_definition_order_; ++i) {
    in_definition_order_ = def_to_dimension_[i] == i;
  }
  if (!has_obsolete_) return;  // without asking a disk series for its first time
  const int64_t first = series_->first_time_s();
  for (size_t i = dimensions_.size(); i-- > 0;) {
    const Dimension& d = dimensions_[i];
    // No data at all (never stored, or memory mode none), or every slot it had is gone.
    if (d.obsolete && (d.obsolete_after_s == 0 || first == 0 || first > d.obsolete_after_s)) {
      dimensions_.erase(dimensions_.begin() + static_cast<std::ptrdiff_t>(i));
      series_->erase_dimension(i);
      for (auto& index : def_to_dimension_) {
        if (index > i) --index;
      }
    }
  }
}

Result<StoreOutcome> Chart::store(int64_t timestamp, std::span<const double> values) {
  if (values.size() < def_.dimensions.size()) {
    return Error(Errc::invalid_argument,
                 "chart " + def_.id + ": sample has " + std::to_string(values.size()) +
                     " values for " + std::to_string(def_.dimensions.size()) + " dimensions");
  }
  if (timestamp <= 0) {
    return Error(Errc::invalid_argument,
                 "chart " + def_.id + ": bad timestamp " + std::to_string(timestamp));
  }
  const int64_t aligned = timestamp - timestamp % def_.update_every;
  if (aligned <= last_collected_s()) {
    ++ignored_late_;
    return StoreOutcome::ignored_late;
  }
  if (in_definition_order_) {
    series_->append(aligned, values.first(def_.dimensions.size()));
  } else {
    row_.assign(dimensions_.size(), std::numeric_limits<double>::quiet_NaN());
    for (size_t i = 0; i < def_.dimensions.size(); ++i) {
      row_[def_to_dimension_[i]] = values[i];
    }
    series_->append(aligned, row_);
  }
  last_collected_s_ = aligned;
  if (has_obsolete_) erase_aged_out_dimensions();
  return StoreOutcome::stored;
}

int64_t Chart::last_collected_s() const {
  if (!last_collected_known_) {
    last_collected_s_ = series_->last_time_s();
    last_collected_known_ = true;
  }
  return last_collected_s_;
}

double Chart::last_value(size_t index) const {
  double value = std::numeric_limits<double>::quiet_NaN();
  const int64_t last = series_->last_time_s();
  if (last != 0) series_->read(index, last, std::span<double>(&value, 1));
  return value;
}

}  // namespace trib::parent::store
