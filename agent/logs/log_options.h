#pragma once
// The `logs:` and `spool:` settings of agent.yaml as plain values (declared once in
// agent_config.cpp).

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace trib::agent::logs {

struct RedactRule {
  std::string pattern;  // RE2
  std::string replace;  // RE2 rewrite (\1 .. \9)
  bool operator==(const RedactRule&) const = default;
};

struct SampleRule {
  std::string pattern;  // RE2: the first rule whose pattern matches decides
  double keep = 1.0;    // fraction of matching lines kept
  bool operator==(const SampleRule&) const = default;
};

struct LogSourceOptions {
  std::vector<std::string> paths;
  std::vector<std::string> exclude;
  std::string start_at = "end";  // end | beginning: files present at the source's first scan
  std::string parser = "none";   // none | json | logfmt | syslog
  std::map<std::string, std::string> attributes;
  std::vector<RedactRule> redact;
  std::vector<SampleRule> sample;
  uint64_t max_line_bytes = 64 * 1024;
  uint64_t rate_limit = 0;  // bytes per second read from the source's files; 0: none

  bool operator==(const LogSourceOptions&) const = default;
};

struct LogsOptions {
  std::chrono::seconds scan_interval{30};
  std::vector<LogSourceOptions> sources;
  bool operator==(const LogsOptions&) const = default;
};

struct SpoolOptions {
  uint64_t max_size = uint64_t{256} << 20;
  bool operator==(const SpoolOptions&) const = default;
};

}  // namespace trib::agent::logs
