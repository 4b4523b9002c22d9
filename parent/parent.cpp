#include "parent/parent.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <filesystem>

#include "common/base/process_setup.h"
#include "common/config/local_host.h"
#include "common/log/log.h"
#include "common/stream/spool_chart.h"
#include "common/time/clock.h"
#include "parent/health/health_api.h"
#include "parent/parent_config.h"
#include "parent/query/api.h"
#include "parent/store/system_info.h"
#include "trib_version.h"

namespace trib::parent {
namespace {

Result<store::StorageConfig> own_storage(const StorageOptions& options, storage::DiskStore* disk) {
  store::StorageConfig storage;
  storage.history = options.history;
  std::string warning;
  TRIB_ASSIGN_OR_RETURN(storage.mode,
                        store::parse_netdata_memory_mode(options.memory_mode, warning));
  if (!warning.empty()) TRIB_LOG(config, warn, "storage.memory_mode: {}", warning);
  if (storage.mode == store::MemoryMode::dbengine) storage.disk = disk;
  return storage;
}

// Within this, a new connection has sent its first bytes and finished any TLS handshake.
constexpr std::chrono::seconds kFirstBytesDeadline{10};
// Connections that have not sent their first bytes yet, at most; beyond, the oldest is closed.
constexpr size_t kMaxWaitingConnections = 512;

Result<net::TlsMode> port_tls_mode(const TlsOptions& tls) {
  const bool has_certificate = !tls.certificate.empty() || !tls.key.empty();
  if (tls.mode == "auto") return has_certificate ? net::TlsMode::optional : net::TlsMode::off;
  TRIB_ASSIGN_OR_RETURN(const net::TlsMode mode, net::parse_tls_mode(tls.mode));
  if (mode != net::TlsMode::off && !has_certificate) {
    return Error(Errc::config_error, "tls.mode is " + tls.mode +
                                         " but no certificate is configured (tls.certificate "
                                         "and tls.key, SSL_CERT/SSL_KEY or --ssl-cert/--ssl-key)");
  }
  return mode;
}

Result<std::shared_ptr<const net::TlsContext>> port_tls_context(const TlsOptions& tls) {
  if (tls.certificate.empty() && tls.key.empty()) {
    return std::shared_ptr<const net::TlsContext>();
  }
  if (tls.certificate.empty() || tls.key.empty()) {
    return Error(Errc::config_error, "TLS needs both tls.certificate and tls.key");
  }
  TRIB_ASSIGN_OR_RETURN(auto context, net::TlsContext::server(
                                          {tls.certificate, tls.key, tls.client_ca, tls.ciphers}));
  return std::shared_ptr<const net::TlsContext>(std::move(context));
}

storage::DiskStoreOptions disk_options(const std::string& data_dir, const StorageOptions& options) {
  storage::DiskStoreOptions disk;
  disk.path = data_dir + "/dbengine";
  disk.max_age = options.retention.max_age;
  disk.max_size = options.retention.max_size;
  for (const TierOptions& tier : options.tiers) {
    disk.tiers.push_back(storage::TierSpec{tier.every, tier.max_age, tier.max_size});
  }
  return disk;
}

}  // namespace

Result<ParentConfig> load_config(const ParentConfigSources& sources) {
  ParentConfig config;
  TRIB_ASSIGN_OR_RETURN(config.options, load_parent_config(sources));
  TRIB_TRY(port_tls_mode(config.options.tls));  // a mode without a certificate is refused early
  TRIB_ASSIGN_OR_RETURN(config.stream,
                        config::load_stream_conf(sources.config_dir + "/stream.conf"));
  return config;
}

Parent::Parent(ParentPaths paths, ParentConfigSources sources, ParentConfig config)
    : paths_(std::move(paths)), sources_(std::move(sources)), config_(std::move(config)) {}

Parent::~Parent() = default;

int Parent::run() {
  // Found by tributary-loadgen giving up on 100 agents while acks were being written.
  ignore_broken_pipes();
  log::init_logging(config_.options.log);
  for (const auto& warning : config_.stream.warnings) TRIB_LOG(config, warn, "{}", warning);
  auto host = config::local_host_info(paths_.data_dir, config_.options.hostname);
  if (!host.ok()) {
    TRIB_LOG(main, critical, "{}", host.error().describe());
    return 1;
  }
  const model::HostInfo self = std::move(host).value();
  if (auto files = raise_open_files_limit(); !files.ok()) {
    TRIB_LOG(main, warn, "{}; fewer streams and API clients fit", files.error().describe());
  }
  // A foreign or corrupt store is an error the operator must see: the parent does not start.
  auto disk =
      storage::DiskStore::open(loop_, disk_options(paths_.data_dir, config_.options.storage));
  if (!disk.ok()) {
    TRIB_LOG(main, critical, "{}", disk.error().describe());
    (void)loop_.close();
    return 1;
  }
  disk_ = std::move(disk).value();
  auto storage = own_storage(config_.options.storage, disk_.get());
  if (!storage.ok()) {
    TRIB_LOG(main, critical, "{}", storage.error().describe());
    disk_.reset();
    (void)loop_.close();
    return 1;
  }

  if (Status opened = open_log_store(); !opened.ok()) {
    TRIB_LOG(main, critical, "{}", opened.error().describe());
    disk_.reset();
    (void)loop_.close();
    return 1;
  }
  const auto& clock = time::SystemClock::instance();
  registry_ = std::make_unique<store::HostRegistry>(self, *storage, clock.now_s());
  registry_->localhost().set_system_info(store::local_system_info());
  if (storage->mode == store::MemoryMode::dbengine) disk_->save_host(self);
  receiver::ReceiverOptions receiver_options;
  receiver_options.compression = config_.stream.stream.enable_compression;
  receiver_options.accept_every = std::chrono::seconds(config_.options.stream_accept_every);
  receiver_options.disk = disk_.get();
  receiver_options.log_writer = log_writer_.get();
  // Always there: stream.conf decides per host what is forwarded, and SIGHUP may change it.
  proxy::ForwarderOptions forwarding{config_.stream, config_.options.spool.max_size,
                                     paths_.data_dir + "/spool"};
  if (config_.options.spool.when_full == "backpressure") {
    forwarding.when_full = stream::Spool::WhenFull::keep;
  }
  forwarder_ = std::make_unique<proxy::Forwarder>(loop_, std::move(forwarding), self);
  receiver_options.forwarder = forwarder_.get();
  receiver_ = std::make_unique<receiver::Receiver>(loop_, *registry_, clock, self.machine_guid,
                                                   receiver_options, config_.stream);
  forwarder_->set_on_restart_needed([this](const std::string& guid) {
    receiver_->restart_stream(guid, "forwarded from now on: reconnect so its charts go upstream");
  });
  restore_hosts(*storage, clock.now_s());
  start_health();
  http_ = std::make_unique<http::HttpServer>(loop_);
  http_->set_handler([this](http::HttpRequest&& request, http::Responder responder) {
    on_http_request(std::move(request), std::move(responder));
  });
  http_->set_takeover("STREAM ",
                      [this](std::unique_ptr<net::TcpConnection> connection, std::string buffered) {
                        receiver_->accept(std::move(connection), std::move(buffered));
                      });
  if (const Status listening = start_listening(); !listening.ok()) {
    TRIB_LOG(main, critical, "{}", listening.error().describe());
    acceptor_.reset();
    receiver_.reset();
    forwarder_.reset();
    http_.reset();
    health_.reset();
    notifier_.reset();
    log_writer_.reset();  // commits what sessions submitted
    (void)loop_.close();
    return 1;
  }
  if (Status fleet = start_fleet(); !fleet.ok()) {
    TRIB_LOG(main, critical, "{}", fleet.error().describe());
    listener_.reset();
    acceptor_.reset();
    receiver_.reset();
    forwarder_.reset();
    http_.reset();
    health_.reset();
    notifier_.reset();
    registry_.reset();
    disk_.reset();
    log_writer_.reset();  // commits what sessions submitted
    (void)loop_.close();
    return 1;
  }
  TRIB_LOG(main, info,
           "tributary-parent {} listening on {}:{} (API and streams, TLS {}): host '{}', machine "
           "GUID {}",
           kVersion, config_.options.bind, listener_->port(), net::to_string(acceptor_->mode()),
           self.hostname, self.machine_guid);

  if (forwarder_) forwarder_->start();
  auto on_term = std::make_unique<event::SignalWatch>(loop_, SIGTERM, [this] { shutdown(); });
  auto on_int = std::make_unique<event::SignalWatch>(loop_, SIGINT, [this] { shutdown(); });
  auto on_hup = std::make_unique<event::SignalWatch>(loop_, SIGHUP, [this] { reload(); });
  collectors_ = std::make_unique<collectors::CollectorThread>(
      collectors::host_context("tributary-parent", {}, 1),
      [this](collectors::CollectedBatch batch) {
        loop_.post([this, b = std::move(batch)]() mutable { store_own_metrics(std::move(b)); });
      });
  collectors_->start(collectors::default_collector_options(), {});
  start_housekeeping();
  loop_.run();

  collectors_->stop();
  health_.reset();
  notifier_.reset();
  alarm_log_file_.reset();
  on_term.reset();
  on_int.reset();
  on_hup.reset();
  listener_.reset();
  acceptor_.reset();
  receiver_.reset();
  forwarder_.reset();
  http_.reset();
  stop_fleet();
  self_metrics_timer_.reset();
  orphan_cleanup_.reset();
  registry_.reset();    // seals open blocks into the store's last batch
  disk_.reset();        // commits it and stops the writer
  log_writer_.reset();  // commits what sessions submitted
  const Status closed = loop_.close();
  if (!closed.ok()) {
    TRIB_LOG(main, error, "{}", closed.error().describe());
    return 1;
  }
  TRIB_LOG(main, info, "tributary-parent stopped");
  return 0;
}

Status Parent::start_fleet() {
  const FleetOptions& options = config_.options.fleet;
  if (!options.enabled) return ok_status();
  fleet::HeartbeatServerOptions heartbeat;
  heartbeat.bind = config_.options.bind;
  heartbeat.port = options.heartbeat_port;
  heartbeat.token = options.heartbeat_token;
  heartbeat.max_connections = config_.options.max_connections;
  // The heartbeat port takes the same TLS as the main port (Telegraf posts over https).
  TRIB_ASSIGN_OR_RETURN(heartbeat.tls_mode, port_tls_mode(config_.options.tls));
  TRIB_ASSIGN_OR_RETURN(heartbeat.tls_context, port_tls_context(config_.options.tls));
  fleet::FleetServiceOptions service;
  service.database = options.database;
  service.data_dir = paths_.data_dir;
  service.scheduler_interval = options.scheduler_interval;
  TRIB_ASSIGN_OR_RETURN(fleet_, fleet::FleetService::start(service, time::SystemClock::instance()));
  auto server = fleet::HeartbeatServer::start(heartbeat, *fleet_);
  if (!server.ok()) {
    stop_fleet();
    return Error(server.error().code, fmt::format("heartbeat server on {}:{}: {}", heartbeat.bind,
                                                  heartbeat.port, server.error().describe()));
  }
  heartbeat_ = std::move(server).value();
  fleet_api_ = std::make_unique<fleet::FleetApi>(
      loop_, *fleet_, fleet::FleetApiOptions{options.admin_token, options.read_token});
  TRIB_LOG(main, info, "heartbeat server listening on {}:{} (TLS {}); fleet registry: {}",
           heartbeat.bind, heartbeat_->port(), net::to_string(heartbeat.tls_mode),
           fleet_->description());
  return ok_status();
}

void Parent::load_health_rules() {
  const std::string dir = sources_.config_dir + "/health.d";
  const health::RuleSet rules = health::load_rules(dir);
  for (const auto& error : rules.errors) TRIB_LOG(health, error, "rule left out: {}", error);
  TRIB_LOG(health, info, "{} alarm rules loaded from {}", rules.rules.size(), dir);
  health_->set_rules(rules);
}

void Parent::start_health() {
  const auto& options = config_.options.health;
  if (!options.enabled) return;
  notifier_ = std::make_unique<health::Notifier>(loop_, time::SystemClock::instance(),
                                                 options.notifications);
  health_ = std::make_unique<health::HealthService>(loop_, *registry_,
                                                    time::SystemClock::instance(), options);
  health_->set_notify(
      [this](const health::Notification& notification) { notifier_->notify(notification); });
  persist_alarm_log(options.log_entries);
  const std::string silencers = paths_.data_dir + "/health/health.silencers.json";
  if (const Status kept = health_->keep_silencers_in(silencers); !kept.ok()) {
    TRIB_LOG(health, error, "{} (fix or remove it; until then manage/health changes are not saved)",
             kept.error().describe());
  }
  load_health_rules();
  health_->start();
}

void Parent::persist_alarm_log(size_t max_entries) {
  auto file = health::AlarmLogFile::open(paths_.data_dir + "/health", max_entries);
  if (!file.ok()) {
    TRIB_LOG(health, error, "the alarm log will not survive a restart: {}",
             file.error().describe());
    return;
  }
  alarm_log_file_ = std::make_unique<health::AlarmLogFile>(std::move(file).value());
  health_->restore_log(alarm_log_file_->load());
  health_->set_persist([this](const health::AlarmLogEntry& entry) {
    const store::Host* host = registry_->find_by_guid(entry.alarm.host_guid);
    if (host == nullptr || host->storage().mode != store::MemoryMode::dbengine) return;
    const Status appended = alarm_log_file_->append(entry);
    uint64_t suppressed = 0;
    if (!appended.ok() &&
        alarm_log_errors_.should_log(std::chrono::steady_clock::now(), suppressed)) {
      TRIB_LOG(health, error, "alarm log: {} ({} more since last report)",
               appended.error().describe(), suppressed);
    }
  });
}

void Parent::stop_fleet() {
  if (fleet_) fleet_->stop();  // no job runs or answers after this
  heartbeat_.reset();
  fleet_api_.reset();
  fleet_.reset();
}

Status Parent::start_listening() {
  TRIB_ASSIGN_OR_RETURN(const net::TlsMode mode, port_tls_mode(config_.options.tls));
  TRIB_ASSIGN_OR_RETURN(auto context, port_tls_context(config_.options.tls));
  net::TlsAcceptor::Handlers handlers;
  handlers.ready = [this](std::unique_ptr<net::TcpConnection> connection, std::string read) {
    http_->adopt(std::move(connection), std::move(read));
  };
  handlers.plaintext_refused = [this](std::unique_ptr<net::TcpConnection> connection,
                                      std::string read) {
    receiver_->refuse_plaintext(std::move(connection), read);
  };
  acceptor_ =
      std::make_unique<net::TlsAcceptor>(loop_, mode, std::move(context), kFirstBytesDeadline,
                                         kMaxWaitingConnections, std::move(handlers));
  TRIB_ASSIGN_OR_RETURN(
      listener_,
      net::TcpListener::listen(
          loop_, config_.options.bind, config_.options.port,
          [this](std::unique_ptr<net::TcpConnection> c) { acceptor_->adopt(std::move(c)); },
          net::ListenerLimits{config_.options.max_connections, "API and streams"}));
  return ok_status();
}

// Certificates are renewed in place: SIGHUP re-reads them even when the paths are the same.
void Parent::reload_certificates(const TlsOptions& tls) {
  if (acceptor_->mode() == net::TlsMode::off) return;
  auto context = port_tls_context(tls);
  if (!context.ok() || *context == nullptr) {
    TRIB_LOG(config, error, "TLS certificates not reloaded (SIGHUP), keeping the running ones: {}",
             context.ok() ? "no certificate configured any more" : context.error().describe());
    return;
  }
  if (heartbeat_) heartbeat_->set_tls_context(*context);
  acceptor_->set_context(std::move(context).value());
  TRIB_LOG(config, info, "TLS certificate '{}' reloaded: new connections use it", tls.certificate);
}

void Parent::restore_hosts(const store::StorageConfig& own, int64_t now_s) {
  store::StorageConfig dbengine;
  dbengine.mode = store::MemoryMode::dbengine;
  dbengine.disk = disk_.get();
  for (const auto& host : disk_->take_restored()) {
    const bool self = host.info.machine_guid == registry_->localhost().machine_guid();
    const Status restored =
        registry_->restore(host.info, host.charts, self ? own : dbengine, now_s);
    if (!restored.ok()) {
      TRIB_LOG(store, warn, "[host:{} {}] not restored from disk: {}", host.info.hostname,
               host.info.machine_guid, restored.error().describe());
      continue;
    }
    if (!self) receiver_->restore_progress(host.info.machine_guid, host.last_seq);
  }
}

void Parent::on_http_request(http::HttpRequest&& request, http::Responder responder) {
  if (fleet_api_ && fleet::is_fleet_path(request.path)) {
    fleet_api_->handle(std::move(request), std::move(responder));
    return;
  }
  if (health_ && (request.method == "GET" || request.method == "HEAD")) {
    auto answer =
        health::handle_health_api(*health_, *registry_, request, config_.options.fleet.admin_token,
                                  time::SystemClock::instance().now_s());
    if (answer.has_value()) {
      http::HttpResponse response;
      response.status = answer->status;
      response.body = std::move(answer->body);
      response.headers.set("Content-Type", answer->content_type);
      response.headers.set("Access-Control-Allow-Origin", "*");
      responder.respond(std::move(response));
      return;
    }
  }
  if (request.method != "GET" && request.method != "HEAD") {
    auto response = http::HttpResponse::text(405, "Only GET and HEAD are supported here.\n");
    response.headers.set("Allow", "GET, HEAD");
    responder.respond(std::move(response));
    return;
  }
  ++api_requests_;
  query::ApiServices services;
  services.logs = log_store_.get();
  services.scrapes = &scrapes_;
  services.client = request.peer_address;
  const auto api = query::handle_api(*registry_, request.path, request.query,
                                     time::SystemClock::instance().now_s(), services);
  http::HttpResponse response;
  response.status = api.status;
  response.body = api.body;
  if (!api.content_type.empty()) response.headers.set("Content-Type", api.content_type);
  if (!api.location.empty()) response.headers.set("Location", api.location);
  // Netdata's dashboard and tools read the API from other origins.
  response.headers.set("Access-Control-Allow-Origin", "*");
  responder.respond(std::move(response));
}

Status Parent::open_log_store() {
  store::LogStoreOptions options;
  options.path = paths_.data_dir + "/logs";
  options.max_age = config_.options.logs.max_age;
  options.max_size = config_.options.logs.max_size;
  TRIB_ASSIGN_OR_RETURN(log_store_, store::LogStore::open(options));
  // Appends and retention run on the writer's thread from here on.
  log_writer_ = std::make_unique<store::LogWriter>(loop_, *log_store_);
  return {};
}

void Parent::reload() {
  auto loaded = load_config(sources_);
  if (!loaded.ok()) {
    TRIB_LOG(config, error, "new configuration refused (SIGHUP), keeping the running one: {}",
             loaded.error().describe());
    return;
  }
  if (loaded->options.log.level != config_.options.log.level ||
      loaded->options.log.file != config_.options.log.file) {
    log::init_logging(loaded->options.log);
  }
  for (const auto& warning : loaded->stream.warnings) TRIB_LOG(config, warn, "{}", warning);
  receiver_->set_stream_conf(loaded->stream);
  forwarder_->reconfigure(loaded->stream);
  reload_certificates(loaded->options.tls);
  if (health_) {
    health_->set_options(loaded->options.health);
    notifier_->set_options(loaded->options.health.notifications);
    load_health_rules();
  }
  if (loaded->options.port != config_.options.port ||
      loaded->options.bind != config_.options.bind ||
      !(loaded->options.storage.memory_mode == config_.options.storage.memory_mode &&
        loaded->options.storage.history == config_.options.storage.history)) {
    TRIB_LOG(config, warn, "changes to bind, port and storage take effect at the next restart");
  }
  TRIB_LOG(config, info,
           "configuration reloaded (SIGHUP): stream.conf admission rules apply to new streams, "
           "forwarding to every host at once");
  config_ = std::move(loaded).value();
}

void Parent::store_own_metrics(collectors::CollectedBatch batch) {
  store::Host& self = registry_->localhost();
  Status failed;
  for (const auto& def : batch.definitions) {
    if (Status defined = self.define_chart(def); !defined.ok()) failed = std::move(defined);
  }
  for (const auto& [chart_id, sample] : batch.samples) {
    if (auto stored = self.store(chart_id, sample); !stored.ok()) failed = stored.take_error();
  }
  if (forwarder_) {
    for (const auto& def : batch.definitions) forwarder_->own_chart(def);
    for (auto& [chart_id, sample] : batch.samples) forwarder_->own_sample(chart_id, sample);
  }
  uint64_t suppressed = 0;
  if (!failed.ok() && own_store_errors_.should_log(std::chrono::steady_clock::now(), suppressed)) {
    TRIB_LOG(store, warn, "own host: {}{}", failed.error().describe(),
             suppressed ? fmt::format(" ({} more since last report)", suppressed) : "");
  }
}

void Parent::start_housekeeping() {
  self_metrics_timer_ = std::make_unique<event::Timer>(loop_);
  store::Host& self = registry_->localhost();
  for (const auto& def : self::SelfMetrics::charts()) {
    if (Status defined = self.define_chart(def); !defined.ok()) {
      TRIB_LOG(store, error, "own host: {}", defined.error().describe());
    }
  }
  self_metrics_timer_->start(std::chrono::seconds(1), std::chrono::seconds(1),
                             [this] { store_self_metrics(); });
  const auto after = config_.options.cleanup_orphan_hosts_after;
  if (after.count() == 0) return;
  // Checked a few times per interval, at most every minute, so a host goes close to on time.
  const auto every = std::clamp<std::chrono::milliseconds>(
      std::chrono::milliseconds(after) / 4, std::chrono::seconds(1), std::chrono::minutes(1));
  orphan_cleanup_ = std::make_unique<event::Timer>(loop_);
  orphan_cleanup_->start(every, every, [this] { cleanup_orphan_hosts(); });
}

void Parent::store_self_metrics() {
  self::SelfCounters counters;
  for (const auto& host : registry_->hosts()) {
    counters.samples_stored += host->stats().samples_stored;
    counters.samples_late += host->stats().samples_ignored_late;
    for (const auto& chart : host->charts()) counters.dimensions += chart->dimensions().size();
  }
  counters.queries = api_requests_;
  if (disk_) counters.disk = disk_->stats();
  if (log_writer_) {
    counters.log_gaps = log_writer_->stats().log_gaps;
    counters.metric_gaps = log_writer_->stats().metric_gaps;
  }
  store::Host& self = registry_->localhost();
  const int64_t now_s = time::SystemClock::instance().now_s();
  for (const auto& [chart_id, sample] : self_metrics_.sample(counters, now_s)) {
    // Fails only for a chart whose definition was refused at start, which was logged then.
    (void)self.store(chart_id, sample);
  }
  if (forwarder_) publish_spool_fill(now_s);
}

void Parent::publish_spool_fill(int64_t now_s) {
  collectors::CollectedBatch batch;
  if (!spool_chart_defined_) batch.definitions.push_back(stream::spool_chart("proxy"));
  spool_chart_defined_ = true;
  batch.samples.emplace_back(stream::kSpoolChart,
                             stream::spool_sample(forwarder_->spool_fill(), now_s));
  store_own_metrics(std::move(batch));  // stored and forwarded like the collectors' charts
}

void Parent::cleanup_orphan_hosts() {
  const int64_t now = time::SystemClock::instance().now_s();
  const int64_t after = config_.options.cleanup_orphan_hosts_after.count();
  for (const auto& guid : registry_->orphans(now, after)) {
    const store::Host* host = registry_->find_by_guid(guid);
    const std::string hostname = host->hostname();
    const bool on_disk =
        host->storage().mode == store::MemoryMode::dbengine && host->storage().disk != nullptr;
    const bool delete_data = on_disk && config_.options.delete_orphan_host_data;
    if (!registry_->forget(guid)) continue;
    if (delete_data) disk_->delete_host(guid);
    // Data kept on disk keeps its resume point: a sender coming back stores nothing twice.
    if (!on_disk || delete_data) receiver_->forget_progress(guid);
    TRIB_LOG(store, info, "[host:{} {}] forgotten: not connected for {} s or more ({})", hostname,
             guid, after,
             delete_data ? "its dbengine data is deleted"
             : on_disk   ? "its dbengine data stays on disk (delete_orphan_host_data: false)"
                         : "its samples were in RAM");
  }
}

void Parent::shutdown() {
  TRIB_LOG(main, info, "stopping");
  // Hosts disconnected by the stop itself are no alarm transitions (REMOVED entries in the log
  // would make the alarms start afresh, and notify again, after the restart).
  if (health_) health_->stop();
  listener_.reset();
  acceptor_->close_all();
  receiver_->close_all();
  http_->close_all();
  if (forwarder_) {
    // The upstream streams say goodbye first (a clean stop, not a lost proxy).
    forwarder_->stop([this] { loop_.stop(); });
    return;
  }
  loop_.stop();
}

}  // namespace trib::parent
