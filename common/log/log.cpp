#include "common/log/log.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <array>
#include <mutex>
#include <vector>

namespace trib::log {
namespace {

constexpr std::array<std::string_view, 10> kChannelNames = {
    "main",  "config", "collector", "tail",      "stream",
    "store", "health", "http",      "heartbeat", "registry"};

std::array<std::shared_ptr<spdlog::logger>, kChannelNames.size()>& loggers() {
  static std::array<std::shared_ptr<spdlog::logger>, kChannelNames.size()> all;
  return all;
}

std::vector<std::shared_ptr<spdlog::logger>>& retired() {
  static std::vector<std::shared_ptr<spdlog::logger>> all;
  return all;
}

std::mutex& init_mutex() {
  static std::mutex m;
  return m;
}

}  // namespace

void init_logging(const LogOptions& options) {
  std::lock_guard lock(init_mutex());
  spdlog::sink_ptr sink;
  if (options.file.empty()) {
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  } else {
    sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(options.file);
  }
  const auto level = spdlog::level::from_str(options.level);
  for (size_t i = 0; i < kChannelNames.size(); ++i) {
    auto logger = std::make_shared<spdlog::logger>(std::string(kChannelNames[i]), sink);
    logger->set_level(level);
    logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ [%n] %v");
    logger->flush_on(spdlog::level::warn);
    // The replaced logger stays alive: another thread may be logging through it right now.
    if (auto old = std::atomic_load(&loggers()[i])) retired().push_back(std::move(old));
    std::atomic_store(&loggers()[i], logger);
  }
}

spdlog::logger& get(Channel channel) {
  auto logger = std::atomic_load(&loggers()[static_cast<size_t>(channel)]);
  if (!logger) {
    init_logging({});
    logger = std::atomic_load(&loggers()[static_cast<size_t>(channel)]);
  }
  return *logger;  // never destroyed: see retired()
}

std::string mask_secret(std::string_view secret) {
  constexpr size_t kShown = 8;
  if (secret.size() <= kShown + 4) return std::string(secret.empty() ? "" : "****");
  return std::string(secret.substr(0, kShown)) + "-****";
}

std::string mask_url(std::string_view url) {
  std::string out(url);
  // user:password@host
  const auto scheme = out.find("://");
  if (scheme != std::string::npos) {
    const auto at = out.find('@', scheme + 3);
    const auto slash = out.find('/', scheme + 3);
    if (at != std::string::npos && (slash == std::string::npos || at < slash)) {
      const auto colon = out.find(':', scheme + 3);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "****");
    }
  }
  // secret-looking query parameters
  for (std::string_view name : {"key=", "token=", "api_key=", "apikey=", "password=", "k="}) {
    size_t pos = 0;
    while ((pos = out.find(name, pos)) != std::string::npos) {
      const bool at_boundary = pos == 0 || out[pos - 1] == '?' || out[pos - 1] == '&';
      const size_t value_start = pos + name.size();
      if (!at_boundary) {
        pos = value_start;
        continue;
      }
      size_t value_end = out.find('&', value_start);
      if (value_end == std::string::npos) value_end = out.size();
      const std::string masked =
          mask_secret(std::string_view(out).substr(value_start, value_end - value_start));
      out.replace(value_start, value_end - value_start, masked);
      pos = value_start + masked.size();
    }
  }
  return out;
}

bool RateLimitedLog::should_log(std::chrono::steady_clock::time_point now, uint64_t& suppressed) {
  if (!logged_once_ || now - last_ >= interval_) {
    suppressed = suppressed_;
    suppressed_ = 0;
    last_ = now;
    logged_once_ = true;
    return true;
  }
  ++suppressed_;
  return false;
}

}  // namespace trib::log
