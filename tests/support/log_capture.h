#pragma once
// Records what one log channel writes while the capture lives, so a test can assert that a
// component logged a reason. Single-threaded use: attach and detach on the test's thread while
// no other thread logs to that channel.

#include <spdlog/sinks/ringbuffer_sink.h>

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/log/log.h"

namespace trib::test {

class LogCapture {
 public:
  explicit LogCapture(log::Channel channel)
      : logger_(log::get(channel)),
        sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(4096)) {
    sink_->set_pattern("%l %v");
    logger_.sinks().push_back(sink_);
  }
  ~LogCapture() { std::erase(logger_.sinks(), sink_); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  std::vector<std::string> lines() const { return sink_->last_formatted(); }
  // True when some line contains `text`.
  bool contains(std::string_view text) const {
    const auto all = lines();
    return std::any_of(all.begin(), all.end(),
                       [&](const std::string& line) { return line.find(text) != line.npos; });
  }
  // Every line, for failure messages.
  std::string dump() const {
    std::string out;
    for (const auto& line : lines()) out += line + "\n";
    return out;
  }

 private:
  spdlog::logger& logger_;
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
};

}  // namespace trib::test
