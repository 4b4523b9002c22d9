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

Result<store::StorageConfig> own_storage(const StorageOptions& options) {
  store::StorageConfig storage;
  storage.history = options.history;
  if (options.memory_mode == "dbengine" || options.memory_mode == "save" ||
      options.memory_mode == "map" || options.memory_mode == "alloc") {
    TRIB_LOG(store, warn, "storage.memory_mode '{}' is not available yet; running as 'ram'",
             options.memory_mode);
    return storage;
  }
  TRIB_ASSIGN_OR_RETURN(storage.mode, store::parse_memory_mode(options.memory_mode));
  return storage;
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
  log::init_logging(config_.options.log);
  for (const auto& warning : config_.stream.warnings) TRIB_LOG(config, warn, "{}", warning);
  auto host = config::local_host_info(paths_.data_dir, config_.options.hostname);
  if (!host.ok()) {
    TRIB_LOG(main, critical, "{}", host.error().describe());
    return 1;
  }
  const model::HostInfo self = std::move(host).value();
  auto storage = own_storage(config_.options.storage);
  if (!storage.ok()) {
    TRIB_LOG(main, critical, "{}", storage.error().describe());
    return 1;
  }

  if (Status opened = open_log_store(); !opened.ok()) {
    TRIB_LOG(main, critical, "{}", opened.error().describe());
    return 1;
  }
  const auto& clock = time::SystemClock::instance();
  registry_ = std::make_unique<store::HostRegistry>(self, *storage, clock.now_s());
  registry_->localhost().set_system_info(store::local_system_info());
  receiver::ReceiverOptions receiver_options;
  receiver_options.compression = config_.stream.stream.enable_compression;
  receiver_options.log_store = log_store_.get();
  receiver_ = std::make_unique<receiver::Receiver>(loop_, *registry_, clock, self.machine_guid,
                                                   receiver_options, config_.stream);
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
    log_retention_.reset();
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
  log_retention_.reset();
  const Status closed = loop_.close();
  if (!closed.ok()) {
    TRIB_LOG(main, error, "{}", closed.error().describe());
    return 1;
  }
  TRIB_LOG(main, info, "tributary-parent stopped");
  return 0;
}

void Parent::on_http_request(http::HttpRequest&& request, http::Responder responder) {
  if (request.method != "GET" && request.method != "HEAD") {
    auto response = http::HttpResponse::text(405, "Only GET and HEAD are supported here.\n");
    response.headers.set("Allow", "GET, HEAD");
    responder.respond(std::move(response));
    return;
  }
  const auto api = query::handle_api(*registry_, request.path, request.query,
                                     time::SystemClock::instance().now_s(), log_store_.get());
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
  log_retention_ = std::make_unique<event::Timer>(loop_);
  const auto enforce = [this] {
    const Status status =
        log_store_->enforce_retention(time::SystemClock::instance().now_us() / 1000);
    if (!status.ok()) TRIB_LOG(store, error, "[logs] retention: {}", status.error().describe());
  };
  log_retention_->start(std::chrono::seconds(1), std::chrono::minutes(10), enforce);
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
