#include "agent/agent_config.h"

#include <fmt/format.h>
#include <re2/re2.h>

#include "agent/logs/line_processor.h"

namespace trib::agent {
namespace {

using config::Path;
using config::Reload;
using config::Schema;
using namespace std::chrono_literals;

const std::vector<std::string> kLogLevels{"trace", "debug",    "info", "warn",
                                          "error", "critical", "off"};

Schema<log::LogOptions> log_schema() {
  Schema<log::LogOptions> s;
  s.choice("level", &log::LogOptions::level, kLogLevels, "Minimum level logged.")
      .text("file", &log::LogOptions::file, "Log file; empty: standard error.", Reload::live);
  return s;
}

Schema<CollectorOptions> collector_schema() {
  Schema<CollectorOptions> s;
  s.flag("enabled", &CollectorOptions::enabled, "Run this collector.")
      .duration("update_every", &CollectorOptions::update_every, 1s, 1h,
                "Collection interval (whole seconds).")
      .integer("max_series", &CollectorOptions::max_series, 1, 10'000'000,
               "Most dimensions this collector may create; further ones are dropped and logged.")
      .integer("max_values_per_second", &CollectorOptions::max_values_per_second, 1, 100'000'000,
               "Most values this collector may emit per second.");
  return s;
}

// Exactly one matcher, and a cmdline that compiles, reported at the entry's line.
Status check_process(const ProcessMatch& p, const config::Node& node, const Path& path) {
  if (p.name.empty()) return config::detail::value_error(node, path, "'name' is required");
  const int matchers = int{!p.comm.empty()} + int{!p.cmdline.empty()} + int{!p.pidfile.empty()};
  if (matchers != 1) {
    return config::detail::value_error(
        node, path,
        fmt::format("give exactly one of 'comm', 'cmdline', 'pidfile' (found {})", matchers));
  }
  if (!p.cmdline.empty()) {
    const re2::RE2 re(p.cmdline, re2::RE2::Quiet);
    if (!re.ok()) {
      const config::Node* at = node.find("cmdline");
      return config::detail::value_error(
          at != nullptr ? *at : node, config::detail::child(path, "cmdline"),
          fmt::format("'{}' is not a valid RE2 regular expression: {}", p.cmdline, re.error()));
    }
  }
  return ok_status();
}

Schema<ProcessMatch> process_schema() {
  Schema<ProcessMatch> s;
  s.text("name", &ProcessMatch::name, "Name shown on the charts (required).")
      .text("comm", &ProcessMatch::comm, "Exact process name, as in /proc/<pid>/comm.")
      .text("cmdline", &ProcessMatch::cmdline,
            "RE2 regular expression (linear time, no backreferences) searched in the space-joined "
            "command line.")
      .text("pidfile", &ProcessMatch::pidfile, "File holding the process id.")
      .check(check_process);
  return s;
}

Schema<logs::RedactRule> redact_schema() {
  Schema<logs::RedactRule> s;
  s.text("pattern", &logs::RedactRule::pattern, "RE2 pattern searched in each line.")
      .text("replace", &logs::RedactRule::replace,
            "What replaces each match (\\1..\\9 name the pattern's groups).");
  return s;
}

Schema<logs::SampleRule> sample_schema() {
  Schema<logs::SampleRule> s;
  s.text("pattern", &logs::SampleRule::pattern, "RE2 pattern; the first rule that matches decides.")
      .real("keep", &logs::SampleRule::keep, 0.0, 1.0, "Fraction of matching lines kept.");
  return s;
}

Status check_source(const logs::LogSourceOptions& source, const config::Node& node,
                    const Path& path) {
  if (source.paths.empty()) {
    return config::detail::value_error(node, path, "'paths' needs at least one glob pattern");
  }
  for (const std::string& pattern : source.paths) {
    if (pattern.empty() || pattern.front() != '/') {
      const config::Node* at = node.find("paths");
      return config::detail::value_error(at != nullptr ? *at : node,
                                         config::detail::child(path, "paths"),
                                         fmt::format("'{}' is not an absolute path", pattern));
    }
  }
  // Patterns RE2 rejects are errors here, at the source's line, not when tailing starts.
  auto processor = logs::LineProcessor::create(source, config::dotted(path));
  if (!processor.ok()) return config::detail::value_error(node, path, processor.error().message);
  return ok_status();
}

Schema<logs::LogSourceOptions> log_source_schema() {
  Schema<logs::LogSourceOptions> s;
  s.text_list("paths", &logs::LogSourceOptions::paths,
              "Absolute glob patterns of the files to follow (`**`: any directories).")
      .text_list("exclude", &logs::LogSourceOptions::exclude,
                 "Globs of files to skip (without '/': matched against the file name).")
      .choice("start_at", &logs::LogSourceOptions::start_at, {"end", "beginning"},
              "Where to start in files already there when the source is first scanned; files "
              "that appear later are read from their first byte.")
      .choice("parser", &logs::LogSourceOptions::parser, {"none", "json", "logfmt", "syslog"},
              "Turns each line's fields into attributes; a line that does not parse is kept "
              "whole.")
      .text_map("attributes", &logs::LogSourceOptions::attributes,
                "Attributes added to every record of the source.")
      .object_list("redact", &logs::LogSourceOptions::redact, redact_schema(),
                   "Rewrites applied to each line, in order, before it is parsed or sent.",
                   "redact:\n  - {pattern: 'password=\\S+', replace: 'password=[REDACTED]'}")
      .object_list("sample", &logs::LogSourceOptions::sample, sample_schema(),
                   "Keeps a fraction of the lines that match (dropped lines are counted, not "
                   "gaps).",
                   "sample:\n  - {pattern: 'DEBUG', keep: 0.1}")
      .size("max_line_bytes", &logs::LogSourceOptions::max_line_bytes, 1024, 1024 * 1024,
            "Longer lines are split into pieces of this size, each marked.")
      .rate("rate_limit", &logs::LogSourceOptions::rate_limit,
            "Most bytes per second read from the source's files (reading waits, nothing is "
            "dropped); 0: no limit.")
      .check(check_source);
  return s;
}

Schema<logs::LogsOptions> logs_schema() {
  Schema<logs::LogsOptions> s;
  s.duration("scan_interval", &logs::LogsOptions::scan_interval, 1s, 24h,
             "How often the globs are expanded again (inotify also triggers a scan).")
      .object_list("sources", &logs::LogsOptions::sources, log_source_schema(),
                   "Log files to follow and deliver to the parent.",
                   "sources:\n  - paths: [\"/var/log/nginx/*.log\", \"/var/log/app/**/*.log\"]\n"
                   "    exclude: [\"*.gz\", \"*.[0-9]\"]\n    start_at: end\n"
                   "    parser: none\n    attributes: {service: nginx}\n"
                   "    max_line_bytes: 64KiB\n    rate_limit: 5MiB/s");
  return s;
}

Schema<logs::SpoolOptions> spool_schema() {
  Schema<logs::SpoolOptions> s;
  s.size("max_size", &logs::SpoolOptions::max_size, uint64_t{1} << 20, uint64_t{1} << 40,
         "Most bytes of unacknowledged batches kept on disk for the parent.", Reload::restart);
  return s;
}

}  // namespace

Schema<HeartbeatOptions> heartbeat_schema() {
  Schema<HeartbeatOptions> s;
  s.flag("enabled", &HeartbeatOptions::enabled, "Send heartbeats to the parent.", Reload::live)
      .text("url", &HeartbeatOptions::url,
            "Heartbeat URL; empty: port 8000 of the first stream destination's host, path "
            "/agents/heartbeat (https when that destination is :SSL, verified as the stream).",
            Reload::live)
      .duration("interval", &HeartbeatOptions::interval, 1s, 24h, "Time between heartbeats.",
                Reload::live)
      .text("token", &HeartbeatOptions::token,
            "Token sent as 'Authorization: Bearer'; empty: none.", Reload::live);
  return s;
}

Schema<AgentOptions> agent_schema(std::span<const std::string_view> collector_names) {
  std::vector<std::string> names(collector_names.begin(), collector_names.end());
  Schema<AgentOptions> s;
  s.text("hostname", &AgentOptions::hostname,
         "Host name reported to the parent; empty: the system's host name.", Reload::restart)
      .object("log", &AgentOptions::log, log_schema(), "Logging.")
      .duration("config_check_interval", &AgentOptions::config_check_interval, 1s, 24h,
                "How often the configuration files are checked for changes (also on SIGHUP).")
      .object("heartbeat", &AgentOptions::heartbeat, heartbeat_schema(),
              "Heartbeats to the parent's heartbeat server (Telegraf's format), so the agent "
              "appears in the fleet.")
      .object_map("collectors", &AgentOptions::collectors, collector_schema(), std::move(names),
                  "Per-collector settings, by collector name. Collectors not listed run with "
                  "the defaults.",
                  "collectors:\n  proc.diskstats:\n    update_every: 5s\n  proc.entropy:\n    "
                  "enabled: false")
      .object_list("processes", &AgentOptions::processes, process_schema(),
                   "Processes to watch besides the agent itself; each has a name and exactly one "
                   "of comm, cmdline, pidfile.",
                   "processes:\n  - name: nginx\n    comm: nginx\n  - name: java-app\n"
                   "    cmdline: \"java .*-jar app\\\\.jar\"\n  - name: postgres\n"
                   "    pidfile: /run/postgresql/16-main.pid")
      .object("logs", &AgentOptions::logs, logs_schema(), "Log files to follow.")
      .object("spool", &AgentOptions::spool, spool_schema(),
              "The on-disk queue of batches waiting for the parent's acknowledgement.");
  return s;
}

Result<AgentOptions> load_agent_config(const std::string& config_dir,
                                       std::span<const std::string_view> collector_names,
                                       const config::Environment& env) {
  const Schema<AgentOptions> schema = agent_schema(collector_names);
  TRIB_ASSIGN_OR_RETURN(config::Node tree, config::load_yaml_with_dropins(config_dir, "agent"));
  config::merge_into(tree,
                     config::environment_overlay(schema.env_options(), config::lookup_in(env)));
  return schema.parse(tree);
}

std::string agent_config_sample() {
  return "# Tributary agent configuration (generated from the option declarations; see\n"
         "# common/config/README.md). Files in agent.d/*.yaml are merged over this one in name\n"
         "# order, and TRIBUTARY_<PATH> environment variables override single values, e.g.\n"
         "# TRIBUTARY_LOG_LEVEL=debug. Streaming is configured in stream.conf.\n\n" +
         agent_schema({}).sample();
}

std::vector<config::Change> diff_agent_options(const AgentOptions& before,
                                               const AgentOptions& after) {
  return agent_schema({}).diff(before, after);
}

}  // namespace trib::agent
