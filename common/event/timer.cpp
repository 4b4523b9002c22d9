#include "common/event/timer.h"

namespace trib::event {

Timer::Timer(Loop& loop) {
  uv_timer_init(loop.raw(), box_.handle());
  box_.mark_initialized();
}

void Timer::start(std::chrono::milliseconds timeout, std::chrono::milliseconds repeat,
                  std::function<void()> callback) {
  box_.state().callback = std::move(callback);
  uv_timer_start(
      box_.handle(),
      [](uv_timer_t* t) {
        // Copy: the callback may restart or destroy this timer.
        auto cb = HandleBox<uv_timer_t, State>::state_of(t).callback;
        if (cb) cb();
      },
      static_cast<uint64_t>(timeout.count()), static_cast<uint64_t>(repeat.count()));
}

void Timer::stop() { uv_timer_stop(box_.handle()); }

bool Timer::active() { return uv_is_active(reinterpret_cast<uv_handle_t*>(box_.handle())) != 0; }

SignalWatch::SignalWatch(Loop& loop, int signum, std::function<void()> callback) {
  uv_signal_init(loop.raw(), box_.handle());
  box_.mark_initialized();
  box_.state().callback = std::move(callback);
  uv_signal_start(
      box_.handle(),
      [](uv_signal_t* s, int) {
        auto cb = HandleBox<uv_signal_t, State>::state_of(s).callback;
        if (cb) cb();
      },
      signum);
}

}  // namespace trib::event
