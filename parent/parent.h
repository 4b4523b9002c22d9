#pragma once
// The parent: one I/O loop serving the HTTP API and receiving streams on the same port (a
// connection that opens with `STREAM ` is handed from the HTTP server to the receiver), over a
// host registry with RAM or dbengine (LMDB, parent/storage/) storage per host. SIGTERM/SIGINT stop
// it cleanly (streams get a goodbye); SIGHUP re-reads stream.conf (admission rules apply to new
// streams, forwarding changes at once) and the log level.

#include <memory>
#include <string>

#include "common/base/result.h"
#include "common/collectors/collector_thread.h"
#include "common/config/dotenv.h"
#include "common/config/stream_conf.h"
#include "common/event/loop.h"
#include "common/event/timer.h"
#include "common/http/server.h"
#include "common/log/log.h"
#include "common/net/tcp.h"
#include "common/net/tls_acceptor.h"
#include "parent/fleet/fleet_api.h"
#include "parent/fleet/fleet_service.h"
#include "parent/fleet/heartbeat_server.h"
#include "parent/health/alarm_log_file.h"
#include "parent/health/health_service.h"
#include "parent/health/notifier.h"
#include "parent/parent_config.h"
#include "parent/parent_options.h"
#include "parent/proxy/forwarder.h"
#include "parent/query/allmetrics.h"
#include "parent/receiver/receiver.h"
#include "parent/self/self_metrics.h"
#include "parent/storage/disk_store.h"
#include "parent/store/host_registry.h"
#include "parent/store/log_store.h"
#include "parent/store/log_writer.h"

namespace trib::parent {

struct ParentPaths {
  std::string config_dir = "/etc/tributary";
  std::string data_dir = "/var/lib/tributary-parent";
};

struct ParentConfig {
  ParentOptions options;
  config::StreamConf stream;
};

// parent.yaml + parent.d/*.yaml + environment (with .env) + flag overrides, and stream.conf.
Result<ParentConfig> load_config(const ParentConfigSources& sources);

class Parent {
 public:
  Parent(ParentPaths paths, ParentConfigSources sources, ParentConfig config);
  ~Parent();

  // Runs until SIGTERM or SIGINT; returns the process exit code.
  int run();

 private:
  void on_http_request(http::HttpRequest&& request, http::Responder responder);
  // Stores what the parent's own collectors gathered, on the I/O loop.
  void store_own_metrics(collectors::CollectedBatch batch);
  void reload();
  Status start_listening();
  void reload_certificates(const TlsOptions& tls);
  // Registers the hosts and charts the dbengine store held, with their resume points.
  void restore_hosts(const store::StorageConfig& own, int64_t now_s);
  Status open_log_store();
  void shutdown();
  // Self-metrics: the parent's counters as charts of its own host, every second.
  void store_self_metrics();
  // A proxy's fullest spool as the tributary.spool chart of its own host (stored, forwarded).
  void publish_spool_fill(int64_t now_s);
  // Forgets hosts disconnected past cleanup_orphan_hosts_after (and deletes their data when
  // delete_orphan_host_data says so).
  void cleanup_orphan_hosts();
  void start_housekeeping();
  Status start_fleet();
  void stop_fleet();
  // Loads health.d/*.yaml (errors are logged; the other rules still load).
  void load_health_rules();
  void start_health();
  // Reads back the alarm log of hosts with a db and keeps appending their new entries.
  void persist_alarm_log(size_t max_entries);

  ParentPaths paths_;
  ParentConfigSources sources_;
  ParentConfig config_;
  event::Loop loop_;
  std::unique_ptr<storage::DiskStore> disk_;  // outlives the registry (series write into it)
  std::unique_ptr<store::HostRegistry> registry_;
  std::unique_ptr<store::LogStore> log_store_;
  std::unique_ptr<store::LogWriter> log_writer_;  // writes log_store_; outlived by it
  // Forwards what stream.conf says ([stream], per-key proxy options): with any of it this
  // parent is a proxy. Always there, so SIGHUP can turn forwarding on. Outlives the receiver,
  // whose sessions feed it.
  std::unique_ptr<proxy::Forwarder> forwarder_;
  std::unique_ptr<receiver::Receiver> receiver_;
  std::unique_ptr<http::HttpServer> http_;
  std::unique_ptr<net::TlsAcceptor> acceptor_;
  std::unique_ptr<net::TcpListener> listener_;
  std::unique_ptr<collectors::CollectorThread> collectors_;  // the parent's own host
  log::RateLimitedLog own_store_errors_{std::chrono::seconds(60)};
  query::ScrapeHistory scrapes_;  // allmetrics: each Prometheus server's last scrape
  uint64_t api_requests_ = 0;
  self::SelfMetrics self_metrics_;
  std::unique_ptr<event::Timer> self_metrics_timer_;
  bool spool_chart_defined_ = false;  // tributary.spool (a proxy's), once per run
  std::unique_ptr<event::Timer> orphan_cleanup_;
  // Destroyed in reverse: the API and the heartbeat server before the fleet thread they use.
  std::unique_ptr<fleet::FleetService> fleet_;
  std::unique_ptr<fleet::HeartbeatServer> heartbeat_;
  std::unique_ptr<fleet::FleetApi> fleet_api_;
  std::unique_ptr<health::Notifier> notifier_;  // outlives the service that calls it
  std::unique_ptr<health::HealthService> health_;
  std::unique_ptr<health::AlarmLogFile> alarm_log_file_;  // entries of hosts with a db
  log::RateLimitedLog alarm_log_errors_{std::chrono::seconds(60)};
};

}  // namespace trib::parent
