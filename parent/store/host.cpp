#include "parent/store/host.h"

#include "parent/storage/disk_store.h"

namespace trib::parent::store {

Host::Host(model::HostInfo info, const StorageConfig& storage, bool is_localhost)
    : info_(std::move(info)), storage_(storage), is_localhost_(is_localhost) {
  if (is_localhost_) info_.hops = 0;
}

void Host::on_connected(const model::HostInfo& info, const StorageConfig& storage, int64_t now_s) {
  info_ = info;
  reachable_ = true;
  connected_since_s_ = now_s;
  disconnected_at_s_ = 0;
  if (storage != storage_) {
    // Another history or mode: the rings no longer fit. Definitions stay, samples go.
    storage_ = storage;
    for (auto& chart : charts_) chart->reset_series(storage_);
  }
}

void Host::on_disconnected(int64_t now_s, Disconnect how) {
  reachable_ = false;
  disconnected_at_s_ = now_s;
  last_disconnect_ = how;
}

Status Host::define_chart(const model::ChartDef& def) {
  if (def.id.empty()) return Error(Errc::invalid_argument, "chart definition without an id");
  if (def.dimensions.empty()) {
    return Error(Errc::invalid_argument, "chart " + def.id + " defines no dimensions");
  }
  for (size_t i = 0; i < def.dimensions.size(); ++i) {
    if (def.dimensions[i].id.empty()) {
      return Error(Errc::invalid_argument, "chart " + def.id + ": dimension without an id");
    }
    for (size_t j = 0; j < i; ++j) {
      if (def.dimensions[j].id == def.dimensions[i].id) {
        return Error(Errc::invalid_argument,
                     "chart " + def.id + ": dimension " + def.dimensions[i].id + " given twice");
      }
    }
  }
  if (storage_.mode == MemoryMode::dbengine && storage_.disk != nullptr) {
    storage_.disk->save_chart(info_.machine_guid, def);
  }
  auto it = charts_by_id_.find(def.id);
  if (it != charts_by_id_.end()) {
    it->second->redefine(def);
    return ok_status();
  }
  charts_.push_back(std::make_unique<Chart>(def, storage_, info_.machine_guid));
  charts_by_id_.emplace(def.id, charts_.back().get());
  return ok_status();
}

Result<StoreOutcome> Host::store(std::string_view chart_id, const model::ChartSample& sample) {
  auto it = charts_by_id_.find(std::string(chart_id));
  if (it == charts_by_id_.end()) {
    return Error(Errc::not_found, "sample for undefined chart " + std::string(chart_id));
  }
  TRIB_ASSIGN_OR_RETURN(const StoreOutcome outcome, it->second->store(sample));
  if (outcome == StoreOutcome::stored) {
    ++stats_.samples_stored;
    if (sample.timestamp > last_data_s_) last_data_s_ = sample.timestamp;
  } else {
    ++stats_.samples_ignored_late;
  }
  return outcome;
}

const Chart* Host::find_chart(std::string_view id_or_name) const {
  auto it = charts_by_id_.find(std::string(id_or_name));
  if (it != charts_by_id_.end()) return it->second;
  for (const auto& chart : charts_) {
    if (chart->def().name == id_or_name) return chart.get();
  }
  return nullptr;
}

size_t Host::memory_bytes() const {
  size_t bytes = sizeof(*this);
  for (const auto& chart : charts_) bytes += sizeof(Chart) + chart->series().memory_bytes();
  return bytes;
}

}  // namespace trib::parent::store
