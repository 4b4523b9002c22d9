#include "parent/parent_config.h"

#include <fmt/format.h>

namespace trib::parent {
namespace {

using config::Reload;
using config::Schema;

// The Telegraf-Controller variables for the listen port, weakest first.
constexpr const char* kPortVariables[] = {"PORT", "APP_PORT"};

Schema<log::LogOptions> log_schema() {
  Schema<log::LogOptions> s;
  s.choice("level", &log::LogOptions::level,
           {"trace", "debug", "info", "warn", "error", "critical", "off"}, "Minimum level logged.")
      .text("file", &log::LogOptions::file, "Log file; empty: standard error.", Reload::live);
  return s;
}

Schema<StorageOptions> storage_schema() {
  Schema<StorageOptions> s;
  s.choice("memory_mode", &StorageOptions::memory_mode,
           {"none", "ram", "dbengine", "save", "map", "alloc"},
           "How the parent stores its own host's metrics (Netdata's [db] mode).", Reload::restart)
      .integer("history", &StorageOptions::history, 5, 100'000'000,
               "Entries kept per dimension in ram mode (Netdata's [db] history).", Reload::restart);
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

void apply_port_variables(config::Node& tree, const config::Environment& env) {
  for (const char* name : kPortVariables) {
    const auto it = env.find(name);
    if (it == env.end()) continue;
    config::set_path(
        tree, {"port"}, it->second,
        config::Origin{
            std::make_shared<const std::string>(fmt::format("environment variable {}", name)), 0});
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
      .object("log", &ParentOptions::log, log_schema(), "Logging.")
      .object("storage", &ParentOptions::storage, storage_schema(),
              "Storage of the parent's own host (received hosts follow stream.conf).")
      .object("logs", &ParentOptions::logs, logs_schema(),
              "The log store (<data dir>/logs): log records of every host, compressed, kept by "
              "age and size.");
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
  apply_port_variables(tree, env);
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
         "# TRIBUTARY_<PATH>, e.g. TRIBUTARY_STORAGE_HISTORY=7200, and PORT / APP_PORT;\n"
         "# command-line flags such as --port beat them all. API keys and per-host policies\n"
         "# are in stream.conf.\n\n" +
         parent_schema().sample();
}

std::vector<config::Change> diff_parent_options(const ParentOptions& before,
                                                const ParentOptions& after) {
  return parent_schema().diff(before, after);
}

}  // namespace trib::parent
