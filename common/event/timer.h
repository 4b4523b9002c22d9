#pragma once
// A repeating or one-shot timer on one Loop. Destroying it cancels it.

#include <chrono>
#include <functional>

#include "common/event/loop.h"

namespace trib::event {

class Timer {
 public:
  explicit Timer(Loop& loop);

  // (Re)starts: first call after `timeout`, then every `repeat` (0: once).
  void start(std::chrono::milliseconds timeout, std::chrono::milliseconds repeat,
             std::function<void()> callback);
  void stop();
  bool active();

 private:
  struct State {
    std::function<void()> callback;
  };
  HandleBox<uv_timer_t, State> box_;
};

// Runs a callback on one Loop when a POSIX signal arrives (SIGTERM, SIGINT, SIGHUP...).
class SignalWatch {
 public:
  SignalWatch(Loop& loop, int signum, std::function<void()> callback);

 private:
  struct State {
    std::function<void()> callback;
  };
  HandleBox<uv_signal_t, State> box_;
};

}  // namespace trib::event
