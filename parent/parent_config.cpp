#include "parent/parent_config.h"

#include <fmt/format.h>

#include "parent/storage/tier_rollup.h"

namespace trib::parent {
namespace {

using config::Reload;
using config::Schema;

// The Telegraf-Controller variables, weakest first.
struct CompatibilityVariable {
  const char* name;
  const char* path;
};
constexpr CompatibilityVariable kCompatibilityVariables[] = {
    {"PORT", "port"},
    {"APP_PORT", "port"},
    {"HEARTBEAT_PORT", "fleet.heartbeat_port"},
    {"DATABASE_URL", "fleet.database"},
    {"DATABASE", "fleet.database"},
    {"ADMIN_TOKEN", "fleet.admin_token"},
    {"SSL_CERT", "tls.certificate"},
    {"SSL_KEY", "tls.key"},
};

Schema<log::LogOptions> log_schema() {
  Schema<log::LogOptions> s;
  s.choice("level", &log::LogOptions::level,
           {"trace", "debug", "info", "warn", "error", "critical", "off"}, "Minimum level logged.")
      .text("file", &log::LogOptions::file, "Log file; empty: standard error.", Reload::live);
  return s;
}

Schema<FleetOptions> fleet_schema() {
  Schema<FleetOptions> s;
  s.flag("enabled", &FleetOptions::enabled,
         "Run the heartbeat server, the fleet registry and the fleet/config API.", Reload::restart)
      .integer("heartbeat_port", &FleetOptions::heartbeat_port, 1, 65535,
               "Listen port of the heartbeat server (also HEARTBEAT_PORT / --heartbeat-port).",
               Reload::restart)
      .text("database", &FleetOptions::database,
            "Registry database: empty for fleet.db in the data dir, a SQLite file path, or "
            "postgresql://user:pass@host/db (also DATABASE / DATABASE_URL / --database).",
            Reload::restart)
      .text("admin_token", &FleetOptions::admin_token,
            "Token for changes through the fleet API (Authorization: Bearer or Token); empty: "
            "changes are refused (also ADMIN_TOKEN / --admin-token).",
            Reload::restart)
      .text("read_token", &FleetOptions::read_token,
            "Token for reading the fleet API and config TOML; empty: reads are open.",
            Reload::restart)
      .text("heartbeat_token", &FleetOptions::heartbeat_token,
            "Token heartbeats must carry; empty: heartbeats are open.", Reload::restart)
      .duration("scheduler_interval", &FleetOptions::scheduler_interval,
                std::chrono::milliseconds(100), std::chrono::hours(24),
                "How often agents are checked against their reporting rule.", Reload::restart);
  return s;
}

Schema<RetentionOptions> retention_schema() {
  Schema<RetentionOptions> s;
  s.duration("max_age", &RetentionOptions::max_age, std::chrono::seconds(0),
             std::chrono::hours(24 * 365 * 100), "Samples older than this are deleted; 0: never.",
             Reload::restart)
      .size("max_size", &RetentionOptions::max_size, uint64_t{16} << 20, uint64_t{1} << 50,
            "Disk space the sample blocks may take; beyond it the oldest go.", Reload::restart);
  return s;
}

Schema<TierOptions> tier_schema() {
  using namespace std::chrono_literals;
  Schema<TierOptions> s;
  s.duration("every", &TierOptions::every, 2s, 24h * 7,
             "Interval of one downsampled point (min, max, sum and count of the samples in it).",
             Reload::restart)
      .duration("max_age", &TierOptions::max_age, 0s, 24h * 365 * 100,
                "Points older than this are deleted; 0: never.", Reload::restart)
      .size("max_size", &TierOptions::max_size, 0, uint64_t{1} << 50,
            "Disk space this tier's blocks may take; beyond it the oldest go. 0: no limit.",
            Reload::restart);
  return s;
}

// Each tier must be coarser than the one before it: queries pick the finest that fits.
Status check_tiers(const StorageOptions& options, const config::Node& node,
                   const config::Path& path) {
  const config::Node* at = node.find("tiers");
  const config::Path tiers_path = config::detail::child(path, "tiers");
  if (options.tiers.size() > storage::kMaxTiers) {
    return config::detail::value_error(
        at != nullptr ? *at : node, tiers_path,
        fmt::format("at most {} tiers, not {}", storage::kMaxTiers, options.tiers.size()));
  }
  for (size_t i = 1; i < options.tiers.size(); ++i) {
    if (options.tiers[i].every <= options.tiers[i - 1].every) {
      return config::detail::value_error(
          at != nullptr ? *at : node, tiers_path,
          fmt::format("tier {} (every {}s) must be coarser than tier {} (every {}s)", i + 1,
                      options.tiers[i].every.count(), i, options.tiers[i - 1].every.count()));
    }
  }
  return ok_status();
}

Schema<StorageOptions> storage_schema() {
  Schema<StorageOptions> s;
  s.choice("memory_mode", &StorageOptions::memory_mode,
           {"none", "ram", "dbengine", "save", "map", "alloc"},
           "How the parent stores its own host's metrics (Netdata's [db] mode; save and map "
           "are aliases of dbengine, alloc of ram).",
           Reload::restart)
      .integer("history", &StorageOptions::history, 5, 100'000'000,
               "Entries kept per dimension in ram mode (Netdata's [db] history).", Reload::restart)
      .object("retention", &StorageOptions::retention, retention_schema(),
              "Retention of the dbengine store (every host in memory mode dbengine), oldest "
              "blocks first.")
      .object_list("tiers", &StorageOptions::tiers, tier_schema(),
                   "Downsampled tiers of the dbengine store, finest first: long queries read "
                   "them instead of every sample.",
                   "tiers: [{every: 1m, max_age: 1y}, {every: 1h, max_age: 5y, max_size: 4GiB}]",
                   Reload::restart, "[{every: 1m, max_age: 1y}, {every: 1h, max_age: 5y}]")
      .check(check_tiers);
  return s;
}

Schema<TlsOptions> tls_schema() {
  Schema<TlsOptions> s;
  s.text("certificate", &TlsOptions::certificate,
         "Certificate chain (PEM, leaf first) for TLS on the port (also SSL_CERT / --ssl-cert).")
      .text("key", &TlsOptions::key, "Its private key (PEM; also SSL_KEY / --ssl-key).")
      .text("client_ca", &TlsOptions::client_ca,
            "CA certificates (PEM); when set, TLS clients must present a certificate they "
            "signed (mutual TLS).")
      .text("ciphers", &TlsOptions::ciphers,
            "TLS 1.3 cipher suites accepted, most preferred first, colon-separated (Netdata's "
            "`tls ciphers`); the parent's order decides. Empty: TLS_AES_128_GCM_SHA256:"
            "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256. New connections use a changed "
            "list after SIGHUP, as a renewed certificate.")
      .choice("mode", &TlsOptions::mode, {"auto", "optional", "force", "off"},
              "TLS on the port: optional (TLS and plaintext, told apart by the first byte), "
              "force (TLS only), off; auto is optional with a certificate, off without.",
              Reload::restart);
  return s;
}

Schema<LogsOptions> logs_schema() {
  using namespace std::chrono_literals;
  Schema<LogsOptions> s;
  s.duration("max_age", &LogsOptions::max_age, 1h, 100 * 365 * 24h,
             "Log and gap records older than this are deleted.")
      .size("max_size", &LogsOptions::max_size, uint64_t{16} << 20, uint64_t{1} << 50,
            "Most bytes of compressed log blocks kept; the oldest go first.", Reload::restart);
  return s;
}

Schema<SpoolOptions> spool_schema() {
  Schema<SpoolOptions> s;
  s.size("max_size", &SpoolOptions::max_size, uint64_t{64} << 10, uint64_t{1} << 44,
         "Most bytes kept per forwarded host of what it sent and the upstream parent has not "
         "acknowledged yet (when_full says what happens then). The proxy's own host always drops "
         "its oldest batches.",
         Reload::restart)
      .choice("when_full", &SpoolOptions::when_full, {"drop_oldest", "backpressure"},
              "A forwarded host's full spool: drop_oldest replaces its oldest batches by gap "
              "records that reach the central parent (the proxy keeps the newest data); "
              "backpressure stops reading from the host until acks make room (the host's own "
              "spool keeps the data).",
              Reload::restart);
  return s;
}

Schema<health::NotificationOptions> notifications_schema() {
  Schema<health::NotificationOptions> s;
  s.text("exec", &health::NotificationOptions::exec,
         "Executable run for each notification, with the alarm as arguments (never through a "
         "shell; docs/health.md); empty: none.")
      .text("webhook", &health::NotificationOptions::webhook,
            "http:// URL receiving each notification as a JSON POST; empty: none.")
      .text_list_map("recipients", &health::NotificationOptions::recipients,
                     "Recipients per role: a rule's 'to:' names a role, e.g. "
                     "{sysadmin: [ops@example.com]}; a role not listed is passed as is.")
      .duration("timeout", &health::NotificationOptions::timeout, std::chrono::seconds(1),
                std::chrono::hours(1), "Per attempt: the executable is killed, the POST dropped.")
      .integer("retries", &health::NotificationOptions::retries, 0, 20,
               "Further attempts after a failure, 5 s, 10 s, 20 s... apart.");
  return s;
}

Schema<health::HealthOptions> health_schema() {
  Schema<health::HealthOptions> s;
  s.flag("enabled", &health::HealthOptions::enabled,
         "Evaluate the alarm rules of health.d/*.yaml for every host with a store.",
         Reload::restart)
      .duration("last_collected", &health::HealthOptions::last_collected, std::chrono::seconds(5),
                std::chrono::hours(24),
                "A host lost without a goodbye, or a chart that stopped updating, raises "
                "last_collected this long after its last data.")
      .integer("log_entries", &health::HealthOptions::log_entries, 100, 10'000'000,
               "Alarm log entries kept in memory.", Reload::restart)
      .object("notifications", &health::HealthOptions::notifications, notifications_schema(),
              "Where alarm notifications go.")
      .check([](const health::HealthOptions& o, const config::Node& node,
                const config::Path& path) -> Status {
        const std::string& url = o.notifications.webhook;
        if (url.empty() || url.rfind("http://", 0) == 0) return ok_status();
        return config::detail::value_error(node, config::detail::child(path, "notifications"),
                                           "webhook must be an http:// URL");
      });
  return s;
}

config::Path split_path(const std::string& dotted) {
  config::Path path;
  size_t start = 0;
  for (;;) {
    const size_t dot = dotted.find('.', start);
    path.push_back(dotted.substr(start, dot - start));
    if (dot == std::string::npos) return path;
    start = dot + 1;
  }
}

void apply_compatibility_variables(config::Node& tree, const config::Environment& env) {
  for (const auto& variable : kCompatibilityVariables) {
    const auto it = env.find(variable.name);
    if (it == env.end()) continue;
    config::set_path(tree, split_path(variable.path), it->second,
                     config::Origin{std::make_shared<const std::string>(
                                        fmt::format("environment variable {}", variable.name)),
                                    0});
  }
}

}  // namespace

Schema<ParentOptions> parent_schema() {
  Schema<ParentOptions> s;
  s.text("hostname", &ParentOptions::hostname,
         "Host name of the parent's own host; empty: the system's host name.", Reload::restart)
      .text("bind", &ParentOptions::bind, "Listen address for the web API and streaming.",
            Reload::restart)
      .integer("port", &ParentOptions::port, 1, 65535,
               "Listen port for the web API and streaming (also PORT / APP_PORT / --port).",
               Reload::restart)
      .integer("stream_accept_every", &ParentOptions::stream_accept_every, 0, 86400,
               "At most one stream accepted per this many seconds; others are told to try later "
               "(Netdata's 'accept a streaming request every seconds'). 0: no limit.",
               Reload::restart)
      .integer("max_connections", &ParentOptions::max_connections, 1, 10'000'000,
               "Connections each listening port (API and streams; heartbeats) keeps open at "
               "once; new ones beyond it are closed at accept. Keep it below the open-files "
               "limit.",
               Reload::restart)
      .duration("cleanup_orphan_hosts_after", &ParentOptions::cleanup_orphan_hosts_after,
                std::chrono::seconds(0), std::chrono::hours(24 * 365 * 100),
                "A child host not connected for this long is forgotten: dropped from the API "
                "and from RAM (Netdata's 'cleanup orphan hosts after secs'). 0: never.",
                Reload::restart)
      .flag("delete_orphan_host_data", &ParentOptions::delete_orphan_host_data,
            "When a host is forgotten, also delete its dbengine data (definitions, samples, "
            "resume point); otherwise it stays on disk until retention removes it.",
            Reload::restart)
      .object("log", &ParentOptions::log, log_schema(), "Logging.")
      .object("storage", &ParentOptions::storage, storage_schema(),
              "Storage of the parent's own host (received hosts follow stream.conf).")
      .object("fleet", &ParentOptions::fleet, fleet_schema(),
              "Fleet control plane: heartbeats, agent registry, Telegraf configs.")
      .object("tls", &ParentOptions::tls, tls_schema(),
              "TLS for the API and streams on the port (docs/operations.md, TLS set-up). "
              "Certificates are re-read on SIGHUP.")
      .object("logs", &ParentOptions::logs, logs_schema(),
              "The log store (<data dir>/logs): log records of every host, compressed, kept by "
              "age and size.")
      .object("spool", &ParentOptions::spool, spool_schema(),
              "A proxy's spool (stream.conf [stream] or a key's `proxy` options): what it forwards "
              "is written here before it is acknowledged downstream (<data dir>/spool/<machine "
              "GUID>).")
      .object("health", &ParentOptions::health, health_schema(),
              "Alarms (rules in health.d/*.yaml of the config dir; docs/health.md).");
  return s;
}

Result<ParentOptions> load_parent_config(const ParentConfigSources& sources) {
  const Schema<ParentOptions> schema = parent_schema();
  TRIB_ASSIGN_OR_RETURN(config::Node tree,
                        config::load_yaml_with_dropins(sources.config_dir, "parent"));
  config::Environment env = sources.env;
  if (!sources.dotenv_path.empty()) {
    TRIB_ASSIGN_OR_RETURN(const config::Environment dotenv,
                          config::load_dotenv(sources.dotenv_path));
    env = config::with_dotenv(std::move(env), dotenv);
  }
  apply_compatibility_variables(tree, env);
  config::merge_into(tree,
                     config::environment_overlay(schema.env_options(), config::lookup_in(env)));
  for (const Override& o : sources.overrides) {
    config::set_path(tree, split_path(o.path), o.value,
                     config::Origin{std::make_shared<const std::string>(o.origin), 0});
  }
  return schema.parse(tree);
}

std::string parent_config_sample() {
  return "# Tributary parent configuration (generated from the option declarations; see\n"
         "# common/config/README.md). Files in parent.d/*.yaml are merged over this one in name\n"
         "# order. Environment variables (also read from a .env file) override single values:\n"
         "# TRIBUTARY_<PATH>, e.g. TRIBUTARY_STORAGE_HISTORY=7200, and PORT / APP_PORT,\n"
         "# HEARTBEAT_PORT, DATABASE / DATABASE_URL, ADMIN_TOKEN;\n"
         "# command-line flags such as --port beat them all. API keys and per-host policies\n"
         "# are in stream.conf.\n\n" +
         parent_schema().sample();
}

std::vector<config::Change> diff_parent_options(const ParentOptions& before,
                                                const ParentOptions& after) {
  return parent_schema().diff(before, after);
}

}  // namespace trib::parent
