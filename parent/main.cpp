// tributary-parent: receives streams from agents, keeps their metrics, serves the API.
#include <unistd.h>

#include <climits>
#include <filesystem>

#include "common/base/cli.h"
#include "common/net/openssl/tls_openssl.h"
#include "parent/parent.h"

namespace {

// The .env file beside the binary (Telegraf-Controller style); the real environment wins.
std::string dotenv_beside_binary() {
  char self[PATH_MAX] = {};
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0) return {};
  return (std::filesystem::path(std::string(self, static_cast<size_t>(n))).parent_path() / ".env")
      .string();  // a missing file means no .env
}

}  // namespace

int main(int argc, char** argv) {
  trib::CommandLine cli("tributary-parent",
                        "Receives metric streams from agents, stores them and serves the API.");
  cli.add_standard_flags("stream.conf, parent.yaml, parent.d/", "/var/lib/tributary-parent");
  cli.add_option("port", "PORT", "API and stream port (19999; environment PORT)");
  cli.add_option("heartbeat-port", "PORT", "heartbeat server port (8000; HEARTBEAT_PORT)");
  cli.add_option("database", "URL", "fleet registry: SQLite path or postgresql://... (DATABASE)");
  cli.add_option("admin-token", "TOKEN", "token for fleet API changes (ADMIN_TOKEN)");
  cli.add_option("ssl-cert", "FILE", "TLS certificate chain, PEM (environment SSL_CERT)");
  cli.add_option("ssl-key", "FILE", "TLS private key, PEM (environment SSL_KEY)");
  if (const auto exit_code = cli.parse_or_exit(argc, argv)) return *exit_code;
  // TLS is the parent's daily work: OpenSSL is linked in, not loaded as the agent's module.
  trib::net::use_tls_backend(trib::net::openssl_tls_backend());
  trib::parent::ParentPaths paths;
  if (auto dir = cli.value("config-dir")) paths.config_dir = *dir;
  if (auto dir = cli.value("data-dir")) paths.data_dir = *dir;
  trib::parent::ParentConfigSources sources;
  sources.config_dir = paths.config_dir;
  sources.dotenv_path = dotenv_beside_binary();
  sources.env = trib::config::process_environment();
  if (auto port = cli.value("port")) sources.overrides.push_back({"port", *port, "--port"});
  for (const auto& [flag, path] :
       {std::pair{"heartbeat-port", "fleet.heartbeat_port"},
        std::pair{"database", "fleet.database"}, std::pair{"admin-token", "fleet.admin_token"}}) {
    if (auto value = cli.value(flag))
      sources.overrides.push_back({path, *value, "--" + std::string(flag)});
  }
  if (auto cert = cli.value("ssl-cert")) {
    sources.overrides.push_back({"tls.certificate", *cert, "--ssl-cert"});
  }
  if (auto key = cli.value("ssl-key")) sources.overrides.push_back({"tls.key", *key, "--ssl-key"});
  auto config = trib::parent::load_config(sources);
  const std::vector<std::string> no_warnings;
  if (const auto exit_code = cli.config_outcome(config.ok() ? nullptr : &config.error(),
                                                config.ok() ? config->stream.warnings : no_warnings,
                                                paths.config_dir)) {
    return *exit_code;
  }
  trib::parent::Parent parent(paths, std::move(sources), std::move(config).value());
  return parent.run();
}
