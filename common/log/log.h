#pragma once
// Logging: a short fixed list of named spdlog loggers, and helpers so secrets never reach a log.
// Thread-safe: spdlog's *_mt sinks are used; call init_logging() once before any thread starts.

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace trib::log {

enum class Channel {
  main,
  config,
  collector,
  tail,
  stream,
  store,
  health,
  http,
  heartbeat,
  registry
};

struct LogOptions {
  std::string level = "info";  // trace|debug|info|warn|error|critical|off
  std::string file;            // empty: stderr
};

// Creates every named logger. Safe to call again (e.g. on reload) to change the level.
void init_logging(const LogOptions& options);

// The logger for a channel; valid after init_logging (falls back to a stderr logger before).
spdlog::logger& get(Channel channel);

// An API key, token or password as it may appear in a log: the first 8 characters and a mask,
// e.g. "11111111-****". Short secrets are masked whole.
std::string mask_secret(std::string_view secret);

// A URL with any password (user:pass@) and token-like query values (key=, token=, api_key=,
// password=) masked.
std::string mask_url(std::string_view url);

// A warning that repeats (per series, per line...) is logged once per interval, with the count
// of the suppressed ones. Not thread-safe: one per owner, used on its owner's loop.
class RateLimitedLog {
 public:
  explicit RateLimitedLog(std::chrono::seconds interval) : interval_(interval) {}
  // True when the caller should log now; `suppressed` gets how many were held back since.
  bool should_log(std::chrono::steady_clock::time_point now, uint64_t& suppressed);

 private:
  std::chrono::seconds interval_;
  std::chrono::steady_clock::time_point last_{};
  uint64_t suppressed_ = 0;
  bool logged_once_ = false;
};

}  // namespace trib::log

#define TRIB_LOG(channel, level, ...) \
  ::trib::log::get(::trib::log::Channel::channel).level(__VA_ARGS__)
