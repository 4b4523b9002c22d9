#pragma once
// The parent: one I/O loop serving the HTTP API and receiving streams on the same port (a
// connection that opens with `STREAM ` is handed from the HTTP server to the receiver), over a
// host registry with RAM storage. SIGTERM/SIGINT stop it cleanly (streams get a goodbye);
// SIGHUP re-reads stream.conf (new rules apply to new streams) and the log level.

#include <memory>
#include <string>

#include "common/base/result.h"
#include "common/config/dotenv.h"
#include "common/config/stream_conf.h"
#include "common/event/loop.h"
#include "common/event/timer.h"
#include "common/http/server.h"
#include "common/net/tcp.h"
#include "parent/parent_config.h"
#include "parent/parent_options.h"
#include "parent/receiver/receiver.h"
#include "parent/store/host_registry.h"
#include "parent/store/log_store.h"

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
  void reload();
  Status open_log_store();
  void shutdown();

  ParentPaths paths_;
  ParentConfigSources sources_;
  ParentConfig config_;
  event::Loop loop_;
  std::unique_ptr<store::HostRegistry> registry_;
  std::unique_ptr<store::LogStore> log_store_;
  std::unique_ptr<event::Timer> log_retention_;
  std::unique_ptr<receiver::Receiver> receiver_;
  std::unique_ptr<http::HttpServer> http_;
  std::unique_ptr<net::TcpListener> listener_;
};

}  // namespace trib::parent
