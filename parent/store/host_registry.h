#pragma once
// Every host the parent holds a database for, keyed by machine GUID. The parent's own host is
// registered at construction (hops 0, always reachable). Child hosts are added when a
// receiver admits them and stay listed after they disconnect (reachable = false), as Netdata
// keeps orphan hosts, until forget() (ephemeral hosts).
//
// Single-threaded: lives on the parent's I/O loop; no locks.

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/base/result.h"
#include "common/model/metrics.h"
#include "parent/store/host.h"

namespace trib::parent::store {

class HostRegistry {
 public:
  HostRegistry(model::HostInfo self, const StorageConfig& storage, int64_t now_s);

  Host& localhost() { return *hosts_.front(); }
  const Host& localhost() const { return *hosts_.front(); }

  // A receiver admitted this host: registers it, or marks the known one reachable again with
  // its (possibly changed) info. Keeps its charts and data unless `storage` changed. The
  // parent's own GUID is refused (a child cannot impersonate the parent).
  Result<Host*> connect(const model::HostInfo& info, const StorageConfig& storage, int64_t now_s);
  // A host a disk store held at start: listed as disconnected with its charts (their data on
  // disk) until a receiver connects it again. The parent's own GUID restores its own charts.
  Status restore(const model::HostInfo& info, const std::vector<model::ChartDef>& charts,
                 const StorageConfig& storage, int64_t now_s);
  // The receiver for this GUID went away: `stopped` after the sender's goodbye, else `lost`.
  // Unknown GUIDs and the parent's own are ignored.
  void disconnect(std::string_view machine_guid, int64_t now_s, Disconnect how = Disconnect::lost);

  // Ephemeral hosts (parent.yaml cleanup_orphan_hosts_after): GUIDs of the hosts disconnected
  // for at least `after_s` seconds, never the parent's own.
  std::vector<std::string> orphans(int64_t now_s, int64_t after_s) const;
  // Removes a disconnected host with its charts and their RAM samples; Host pointers to it die.
  // A reachable host, the parent's own or an unknown GUID is left alone: false.
  bool forget(std::string_view machine_guid);

  // Netdata's /host/<h>/ lookup: hostname first, then machine GUID.
  Host* find(std::string_view hostname_or_guid);
  const Host* find(std::string_view hostname_or_guid) const;
  Host* find_by_guid(std::string_view machine_guid);

  // In order of registration, the parent's own host first.
  const std::vector<std::unique_ptr<Host>>& hosts() const { return hosts_; }

 private:
  std::vector<std::unique_ptr<Host>> hosts_;
  std::unordered_map<std::string, Host*> by_guid_;
};

}  // namespace trib::parent::store
