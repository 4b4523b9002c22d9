#include "parent/parent.h"

#include <unistd.h>

#include <csignal>
#include <filesystem>

#include "common/config/local_host.h"
#include "common/log/log.h"
#include "common/time/clock.h"
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

storage::DiskStoreOptions disk_options(const std::string& data_dir, const StorageOptions& options) {
  storage::DiskStoreOptions disk;
  disk.path = data_dir + "/dbengine";
  disk.max_age = options.retention.max_age;
  disk.max_size = options.retention.max_size;
  return disk;
}

}  // namespace

Result<ParentConfig> load_config(const ParentConfigSources& sources) {
  ParentConfig config;
  TRIB_ASSIGN_OR_RETURN(config.options, load_parent_config(sources));
  TRIB_ASSIGN_OR_RETURN(config.stream,
                        config::load_stream_conf(sources.config_dir + "/stream.conf"));
  return config;
}

Parent::Parent(ParentPaths paths, ParentConfigSources sources, ParentConfig config)
    : paths_(std::move(paths)), sources_(std::move(sources)), config_(std::move(config)) {}

Parent::~Parent() = default;

int Parent::run() {
  // A sender that closes while an ack or keepalive is being written must cost an EPIPE on that
  // connection, not the process (found by tributary-loadgen giving up on 100 agents).
  std::signal(SIGPIPE, SIG_IGN);
  log::init_logging(config_.options.log);
  for (const auto& warning : config_.stream.warnings) TRIB_LOG(config, warn, "{}", warning);
  auto host = config::local_host_info(paths_.data_dir, config_.options.hostname);
  if (!host.ok()) {
    TRIB_LOG(main, critical, "{}", host.error().describe());
    return 1;
  }
  const model::HostInfo self = std::move(host).value();
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

  const auto& clock = time::SystemClock::instance();
  registry_ = std::make_unique<store::HostRegistry>(self, *storage, clock.now_s());
  registry_->localhost().set_system_info(store::local_system_info());
  if (storage->mode == store::MemoryMode::dbengine) disk_->save_host(self);
  receiver::ReceiverOptions receiver_options;
  receiver_options.compression = config_.stream.stream.enable_compression;
  receiver_options.disk = disk_.get();
  receiver_ = std::make_unique<receiver::Receiver>(loop_, *registry_, clock, self.machine_guid,
                                                   receiver_options, config_.stream);
  restore_hosts(*storage, clock.now_s());
  http_ = std::make_unique<http::HttpServer>(loop_);
  http_->set_handler([this](http::HttpRequest&& request, http::Responder responder) {
    on_http_request(std::move(request), std::move(responder));
  });
  http_->set_takeover("STREAM ",
                      [this](std::unique_ptr<net::TcpConnection> connection, std::string buffered) {
                        receiver_->accept(std::move(connection), std::move(buffered));
                      });
  auto listener = net::TcpListener::listen(loop_, config_.options.bind, config_.options.port,
                                           [this](std::unique_ptr<net::TcpConnection> connection) {
                                             http_->adopt(std::move(connection));
                                           });
  if (!listener.ok()) {
    TRIB_LOG(main, critical, "{}", listener.error().describe());
    receiver_.reset();
    http_.reset();
    registry_.reset();
    disk_.reset();
    (void)loop_.close();
    return 1;
  }
  listener_ = std::move(listener).value();
  TRIB_LOG(main, info,
           "tributary-parent {} listening on {}:{} (API and streams): host '{}', machine GUID {}",
           kVersion, config_.options.bind, listener_->port(), self.hostname, self.machine_guid);

  auto on_term = std::make_unique<event::SignalWatch>(loop_, SIGTERM, [this] { shutdown(); });
  auto on_int = std::make_unique<event::SignalWatch>(loop_, SIGINT, [this] { shutdown(); });
  auto on_hup = std::make_unique<event::SignalWatch>(loop_, SIGHUP, [this] { reload(); });
  loop_.run();

  on_term.reset();
  on_int.reset();
  on_hup.reset();
  listener_.reset();
  receiver_.reset();
  http_.reset();
  registry_.reset();  // seals open blocks into the store's last batch
  disk_.reset();      // commits it and stops the writer
  const Status closed = loop_.close();
  if (!closed.ok()) {
    TRIB_LOG(main, error, "{}", closed.error().describe());
    return 1;
  }
  TRIB_LOG(main, info, "tributary-parent stopped");
  return 0;
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
  if (request.method != "GET" && request.method != "HEAD") {
    auto response = http::HttpResponse::text(405, "Only GET and HEAD are supported here.\n");
    response.headers.set("Allow", "GET, HEAD");
    responder.respond(std::move(response));
    return;
  }
  const auto api = query::handle_api(*registry_, request.path, request.query,
                                     time::SystemClock::instance().now_s());
  http::HttpResponse response;
  response.status = api.status;
  response.body = api.body;
  if (!api.content_type.empty()) response.headers.set("Content-Type", api.content_type);
  if (!api.location.empty()) response.headers.set("Location", api.location);
  // Netdata's dashboard and tools read the API from other origins.
  response.headers.set("Access-Control-Allow-Origin", "*");
  responder.respond(std::move(response));
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
  if (loaded->options.port != config_.options.port ||
      loaded->options.bind != config_.options.bind ||
      !(loaded->options.storage.memory_mode == config_.options.storage.memory_mode &&
        loaded->options.storage.history == config_.options.storage.history)) {
    TRIB_LOG(config, warn, "changes to bind, port and storage take effect at the next restart");
  }
  TRIB_LOG(config, info, "configuration reloaded (SIGHUP): stream.conf rules apply to new streams");
  config_ = std::move(loaded).value();
}

void Parent::shutdown() {
  TRIB_LOG(main, info, "stopping");
  listener_.reset();
  receiver_->close_all();
  http_->close_all();
  loop_.stop();
}

}  // namespace trib::parent
