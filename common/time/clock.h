#pragma once
// Wall-clock time behind an interface so tests can drive time instead of sleeping.

#include <chrono>
#include <cstdint>

namespace trib::time {

class Clock {
 public:
  virtual ~Clock() = default;
  // Seconds and microseconds since the epoch: for timestamps. The wall clock can be stepped
  // (NTP, an operator), backwards too.
  virtual int64_t now_us() const = 0;
  int64_t now_s() const { return now_us() / 1'000'000; }
  // Microseconds since an arbitrary start, never going back: for durations and timeouts.
  virtual int64_t monotonic_us() const = 0;
  int64_t monotonic_ms() const { return monotonic_us() / 1000; }
};

class SystemClock final : public Clock {
 public:
  int64_t now_us() const override {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  int64_t monotonic_us() const override {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  static const SystemClock& instance() {
    static const SystemClock clock;
    return clock;
  }
};

// A clock that moves only when told: for tests. advance_s() lets time pass; set_s() steps the
// wall clock alone, as NTP or an operator does.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t start_s = 1'700'000'000) : now_us_(start_s * 1'000'000) {}
  int64_t now_us() const override { return now_us_; }
  int64_t monotonic_us() const override { return monotonic_us_; }
  void advance_s(int64_t seconds) {
    now_us_ += seconds * 1'000'000;
    monotonic_us_ += seconds * 1'000'000;
  }
  void set_s(int64_t seconds) { now_us_ = seconds * 1'000'000; }

 private:
  int64_t now_us_;
  int64_t monotonic_us_ = 0;
};

}  // namespace trib::time
