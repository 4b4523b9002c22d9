#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <thread>

#include "support/loop_fixture.h"

namespace trib::event {
namespace {

using test::LoopTest;
using namespace std::chrono_literals;

TEST_F(LoopTest, PostFromAnotherThreadRunsOnLoopInOrder) {
  std::vector<int> seen;
  std::thread other([&] {
    for (int i = 0; i < 100; ++i) loop_.post([&seen, i] { seen.push_back(i); });
  });
  other.join();
  run_until([&] { return seen.size() == 100; });
  for (int i = 0; i < 100; ++i) EXPECT_EQ(seen[static_cast<size_t>(i)], i);
}

TEST_F(LoopTest, StopFromAnotherThreadEndsRun) {
  std::thread other([&] { loop_.stop(); });
  loop_.run();
  other.join();
}

TEST_F(LoopTest, TimerRepeatsAndDestroyingItInsideCallbackIsSafe) {
  int fired = 0;
  auto timer = std::make_unique<Timer>(loop_);
  timer->start(1ms, 1ms, [&] {
    if (++fired == 3) timer.reset();
  });
  run_until([&] { return fired == 3 && !timer; });
  EXPECT_EQ(fired, 3);
}

TEST_F(LoopTest, SignalWatchRunsCallback) {
  bool got = false;
  SignalWatch watch(loop_, SIGHUP, [&] { got = true; });
  ::raise(SIGHUP);
  run_until([&] { return got; });
}

TEST(LoopCloseTest, CloseFailsWhileAHandleIsStillOpen) {
  Loop loop;
  auto* raw = new uv_timer_t{};
  uv_timer_init(loop.raw(), raw);
  uv_timer_start(
      raw, [](uv_timer_t*) {}, 100000, 0);
  // Not closed: Loop::close must refuse.
  uv_run(loop.raw(), UV_RUN_NOWAIT);
  EXPECT_FALSE(loop.close().ok());
  uv_close(reinterpret_cast<uv_handle_t*>(raw),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  EXPECT_TRUE(loop.close().ok());
}

}  // namespace
}  // namespace trib::event
