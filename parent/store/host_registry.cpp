#include "parent/store/host_registry.h"

#include "common/log/log.h"
#include "parent/storage/disk_store.h"

namespace trib::parent::store {

HostRegistry::HostRegistry(model::HostInfo self, const StorageConfig& storage, int64_t now_s) {
  hosts_.push_back(std::make_unique<Host>(std::move(self), storage, /*is_localhost=*/true));
  Host& own = *hosts_.front();
  own.connected_since_s_ = now_s;
  by_guid_.emplace(own.machine_guid(), &own);
}

Result<Host*> HostRegistry::connect(const model::HostInfo& info, const StorageConfig& storage,
                                    int64_t now_s) {
  if (info.machine_guid.empty()) {
    return Error(Errc::invalid_argument, "host " + info.hostname + " has no machine GUID");
  }
  if (info.machine_guid == localhost().machine_guid()) {
    return Error(Errc::refused,
                 "host " + info.hostname + " uses this parent's machine GUID " + info.machine_guid);
  }
  Host* host = find_by_guid(info.machine_guid);
  if (host == nullptr) {
    hosts_.push_back(std::make_unique<Host>(info, storage, /*is_localhost=*/false));
    host = hosts_.back().get();
    by_guid_.emplace(info.machine_guid, host);
    TRIB_LOG(store, info, "[host:{} {}] registered, memory mode {}, history {}", info.hostname,
             info.machine_guid, to_string(storage.mode), storage.history);
  }
  host->on_connected(info, storage, now_s);
  if (storage.mode == MemoryMode::dbengine && storage.disk != nullptr) {
    storage.disk->save_host(host->info());
  }
  return host;
}

Status HostRegistry::restore(const model::HostInfo& info,
                             const std::vector<model::ChartDef>& charts,
                             const StorageConfig& storage, int64_t now_s) {
  Host* host = find_by_guid(info.machine_guid);
  if (host == nullptr) {
    hosts_.push_back(std::make_unique<Host>(info, storage, /*is_localhost=*/false));
    host = hosts_.back().get();
    by_guid_.emplace(info.machine_guid, host);
    host->on_disconnected(now_s, Disconnect::stopped);  // restored: not known to be lost
  } else if (host->storage() != storage) {
    return ok_status();  // the parent's own host in another memory mode: its disk data stays
  }
  for (const auto& def : charts) TRIB_TRY(host->define_chart(def));
  return ok_status();
}

void HostRegistry::disconnect(std::string_view machine_guid, int64_t now_s, Disconnect how) {
  Host* host = find_by_guid(machine_guid);
  if (host != nullptr && !host->is_localhost()) host->on_disconnected(now_s, how);
}

std::vector<std::string> HostRegistry::orphans(int64_t now_s, int64_t after_s) const {
  std::vector<std::string> out;
  for (const auto& host : hosts_) {
    if (!host->reachable() && now_s - host->disconnected_at_s() >= after_s) {
      out.push_back(host->machine_guid());
    }
  }
  return out;
}

bool HostRegistry::forget(std::string_view machine_guid) {
  Host* host = find_by_guid(machine_guid);
  if (host == nullptr || host->reachable()) return false;
  by_guid_.erase(host->machine_guid());
  std::erase_if(hosts_, [&](const std::unique_ptr<Host>& h) { return h.get() == host; });
  return true;
}

Host* HostRegistry::find(std::string_view hostname_or_guid) {
  for (auto& host : hosts_) {
    if (host->hostname() == hostname_or_guid) return host.get();
  }
  return find_by_guid(hostname_or_guid);
}

const Host* HostRegistry::find(std::string_view hostname_or_guid) const {
  return const_cast<HostRegistry*>(this)->find(hostname_or_guid);
}

Host* HostRegistry::find_by_guid(std::string_view machine_guid) {
  auto it = by_guid_.find(std::string(machine_guid));
  return it == by_guid_.end() ? nullptr : it->second;
}

}  // namespace trib::parent::store
