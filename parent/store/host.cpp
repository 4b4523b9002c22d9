#include "parent/store/host.h"

#include <fmt/format.h>

#include "parent/storage/disk_store.h"

namespace trib::parent::store {

namespace {

// Why `text` cannot be an id or name, or empty when it can.
std::string id_problem(std::string_view text) {
  if (text.size() > kMaxIdBytes) {
    return "is " + std::to_string(text.size()) + " bytes long (at most " +
           std::to_string(kMaxIdBytes) + ")";
  }
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7F) {
      return "has the control character 0x" + fmt::format("{:02x}", c) + " at byte " +
             std::to_string(i);
    }
  }
  return {};
}

// The start of an id for an error message, control characters shown as '?'.
std::string printable_prefix(std::string_view text) {
  std::string out(text.substr(0, 64));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = '?';
  }
  return text.size() > 64 ? out + "..." : out;
}

}  // namespace

Status check_chart_ids(const model::ChartDef& def) {
  if (def.id.empty()) return Error(Errc::invalid_argument, "chart definition without an id");
  const std::string chart = printable_prefix(def.id);
  if (auto why = id_problem(def.id); !why.empty()) {
    return Error(Errc::invalid_argument, "chart id '" + chart + "' " + why);
  }
  if (auto why = id_problem(def.name); !why.empty()) {
    return Error(Errc::invalid_argument, "chart " + chart + ": name " + why);
  }
  for (const auto& dim : def.dimensions) {
    if (dim.id.empty()) {
      return Error(Errc::invalid_argument, "chart " + chart + ": dimension without an id");
    }
    if (auto why = id_problem(dim.id); !why.empty()) {
      return Error(Errc::invalid_argument,
                   "chart " + chart + ": dimension id '" + printable_prefix(dim.id) + "' " + why);
    }
    if (auto why = id_problem(dim.name); !why.empty()) {
      return Error(Errc::invalid_argument, "chart " + chart + ": name of dimension '" +
                                               printable_prefix(dim.id) + "' " + why);
    }
  }
  return ok_status();
}

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
  TRIB_TRY(check_chart_ids(def));
  if (def.dimensions.empty()) {
    return Error(Errc::invalid_argument, "chart " + def.id + " defines no dimensions");
  }
  for (size_t i = 0; i < def.dimensions.size(); ++i) {
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

Result<StoreOutcome> Host::store(std::string_view chart_id, int64_t timestamp,
                                 std::span<const double> values) {
  Chart* chart = defined_chart(chart_id);
  if (chart == nullptr) {
    return Error(Errc::not_found, "sample for undefined chart " + std::string(chart_id));
  }
  return store(*chart, timestamp, values);
}

Chart* Host::defined_chart(std::string_view id) {
  auto it = charts_by_id_.find(std::string(id));
  return it == charts_by_id_.end() ? nullptr : it->second;
}

Result<StoreOutcome> Host::store(Chart& chart, int64_t timestamp, std::span<const double> values) {
  TRIB_ASSIGN_OR_RETURN(const StoreOutcome outcome, chart.store(timestamp, values));
  if (outcome == StoreOutcome::stored) {
    ++stats_.samples_stored;
    if (timestamp > last_data_s_) last_data_s_ = timestamp;
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
