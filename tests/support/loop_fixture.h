#pragma once
// A test fixture owning one Loop; teardown proves the loop closed with nothing left open.

#include <gtest/gtest.h>

#include <chrono>
#include <functional>

#include "common/event/loop.h"
#include "common/event/timer.h"

namespace trib::test {

class LoopTest : public ::testing::Test {
 protected:
  void TearDown() override {
    const auto status = loop_.close();
    EXPECT_TRUE(status.ok()) << (status.ok() ? "" : status.error().describe());
  }

  // Runs the loop until `done()` is true or `limit` passes (then fails the test).
  void run_until(const std::function<bool()>& done,
                 std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    event::Timer guard(loop_);
    bool timed_out = false;
    guard.start(limit, std::chrono::milliseconds(0), [&] {
      timed_out = true;
      uv_stop(loop_.raw());
    });
    event::Timer poll(loop_);
    poll.start(std::chrono::milliseconds(1), std::chrono::milliseconds(1), [&] {
      if (done()) uv_stop(loop_.raw());
    });
    if (!done()) uv_run(loop_.raw(), UV_RUN_DEFAULT);
    EXPECT_FALSE(timed_out) << "condition not reached within " << limit.count() << " ms";
  }

  event::Loop loop_;
};

}  // namespace trib::test
