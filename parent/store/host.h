#pragma once
// A host whose metrics the parent holds: the parent itself (hops 0) or a child streaming to it.
// Holds the host's identity (model::HostInfo), its connection state and its charts.
//
// Single-threaded: lives on the parent's I/O loop (receivers and the HTTP API run there), so
// there are no locks. Owned by the HostRegistry; Host pointers stay valid for its lifetime.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/base/result.h"
#include "common/model/metrics.h"
#include "parent/store/chart.h"

namespace trib::parent::store {

// stream.conf's health settings for a child (`health enabled by default` of its API key,
// `health enabled` of its machine GUID, `postpone alarms on connect seconds`); the parent's own
// host and restored hosts use the defaults.
struct HealthPolicy {
  enum class Mode : uint8_t { automatic, yes, no };  // automatic: only while connected
  Mode mode = Mode::yes;
  int64_t postpone_s = 0;  // after a connect, alarms wait this long before evaluating
  bool operator==(const HealthPolicy&) const = default;
};

// How the last stream of a host ended: the sender said goodbye (stopped) or it did not (lost:
// a kill, a crash, a network failure, an idle timeout). Health raises last_collected only for
// a lost host.
enum class Disconnect : uint8_t { stopped, lost };
// Chart and dimension ids (and names) are at most this long: the series index key (GUID, chart
// id, dimension id) must fit LMDB's 511-byte key limit, and the API echoes them everywhere.
inline constexpr size_t kMaxIdBytes = 200;
// An id or name that is empty (ids only), longer than kMaxIdBytes or holds a control character
// (below 0x20, or 0x7f) is Errc::invalid_argument naming the chart, the field and the reason.
Status check_chart_ids(const model::ChartDef& def);

struct HostStats {
  uint64_t samples_stored = 0;
  uint64_t samples_ignored_late = 0;  // duplicates and late resends, counted not stored
};

class Host {
 public:
  Host(model::HostInfo info, const StorageConfig& storage, bool is_localhost);

  const model::HostInfo& info() const { return info_; }
  const std::string& machine_guid() const { return info_.machine_guid; }
  const std::string& hostname() const { return info_.hostname; }
  bool is_localhost() const { return is_localhost_; }
  const StorageConfig& storage() const { return storage_; }

  // True while a receiver is connected; always for the parent's own host.
  bool reachable() const { return is_localhost_ || reachable_; }
  int64_t connected_since_s() const { return connected_since_s_; }
  // The newest sample timestamp stored (as sent, before alignment); 0 before any.
  int64_t last_data_s() const { return last_data_s_; }
  int64_t disconnected_at_s() const { return disconnected_at_s_; }
  // The proxies the host's stream passes through to reach this parent, nearest first (empty for
  // a host streaming here directly, and for the parent itself).
  const std::vector<std::string>& path() const { return path_; }
  void set_path(std::vector<std::string> path) { path_ = std::move(path); }
  // How the last stream ended; meaningful while !reachable().
  Disconnect last_disconnect() const { return last_disconnect_; }
  const HealthPolicy& health_policy() const { return health_policy_; }
  void set_health_policy(const HealthPolicy& policy) { health_policy_ = policy; }

  // Netdata's system-info fields (os_name, os_id, kernel_name, cores_total, ...) as the child
  // sent them (NETDATA_SYSTEM_* handshake parameters); shown by /api/v1/info.
  const std::vector<model::Label>& system_info() const { return system_info_; }
  void set_system_info(std::vector<model::Label> fields) { system_info_ = std::move(fields); }
  // Whether this host's outgoing stream is compressed; unset when it has no sender.
  std::optional<bool> stream_compression() const { return stream_compression_; }
  void set_stream_compression(std::optional<bool> on) { stream_compression_ = on; }

  // Creates the chart, or applies a redefinition (see chart.h for what happens to dimensions).
  // A definition without an id or without dimensions, or with ids check_chart_ids() refuses, is
  // an error.
  Status define_chart(const model::ChartDef& def);
  // A not-yet-defined chart is Errc::not_found; a short sample is Errc::invalid_argument.
  Result<StoreOutcome> store(std::string_view chart_id, int64_t timestamp,
                             std::span<const double> values);
  Result<StoreOutcome> store(std::string_view chart_id, const model::ChartSample& sample) {
    return store(chart_id, sample.timestamp, sample.values);
  }
  // The same, for a chart of this host found before (defined_chart()): a receiver storing
  // millions of rows a second looks each chart up once, not once per row.
  Result<StoreOutcome> store(Chart& chart, int64_t timestamp, std::span<const double> values);
  // The chart with this id, nullptr when it is not defined. Charts live as long as their host.
  Chart* defined_chart(std::string_view id);

  // By id, then by name (as Netdata's rrdset_find / rrdset_find_byname).
  const Chart* find_chart(std::string_view id_or_name) const;
  // In order of first definition.
  const std::vector<std::unique_ptr<Chart>>& charts() const { return charts_; }
  const HostStats& stats() const { return stats_; }
  size_t memory_bytes() const;

 private:
  friend class HostRegistry;
  void on_connected(const model::HostInfo& info, const StorageConfig& storage, int64_t now_s);
  void on_disconnected(int64_t now_s, Disconnect how);

  model::HostInfo info_;
  StorageConfig storage_;
  bool is_localhost_;
  bool reachable_ = false;
  int64_t connected_since_s_ = 0;
  int64_t last_data_s_ = 0;
  int64_t disconnected_at_s_ = 0;
  std::vector<std::string> path_;
  Disconnect last_disconnect_ = Disconnect::lost;
  HealthPolicy health_policy_;
  std::vector<model::Label> system_info_;
  std::optional<bool> stream_compression_;
  std::vector<std::unique_ptr<Chart>> charts_;
  std::unordered_map<std::string, Chart*> charts_by_id_;
  HostStats stats_;
};

}  // namespace trib::parent::store
