#include "common/event/loop.h"

#include <cassert>

namespace trib::event {

Loop::Loop() {
  const int rc = uv_loop_init(&loop_);
  assert(rc == 0);
  (void)rc;
  wakeup_ = new uv_async_t{};
  wakeup_->data = this;
  uv_async_init(&loop_, wakeup_, &Loop::on_async);
}

Loop::~Loop() {
  if (!closed_) {
    // An owner forgot close(); finish what we can so the process does not leak the loop.
    (void)close();
  }
}

void Loop::on_async(uv_async_t* async) { static_cast<Loop*>(async->data)->run_posted(); }

void Loop::run_posted() {
  std::vector<std::function<void()>> batch;
  bool stop_now = false;
  {
    std::lock_guard lock(mutex_);
    batch.swap(posted_);
    stop_now = stop_requested_;
  }
  for (auto& fn : batch) fn();
  if (stop_now) uv_stop(&loop_);
}

void Loop::run() {
  {
    std::lock_guard lock(mutex_);
    if (stop_requested_) return;
  }
  uv_run(&loop_, UV_RUN_DEFAULT);
}

void Loop::stop() {
  std::lock_guard lock(mutex_);
  stop_requested_ = true;
  if (wakeup_) uv_async_send(wakeup_);
}

void Loop::post(std::function<void()> fn) {
  std::lock_guard lock(mutex_);
  if (closed_ || !wakeup_) return;
  posted_.push_back(std::move(fn));
  uv_async_send(wakeup_);
}

size_t Loop::count_open_handles() {
  struct Walk {
    uv_handle_t* skip;
    size_t open = 0;
  } walk{reinterpret_cast<uv_handle_t*>(wakeup_)};
  uv_walk(
      &loop_,
      [](uv_handle_t* h, void* arg) {
        auto* w = static_cast<Walk*>(arg);
        if (h != w->skip && !uv_is_closing(h)) ++w->open;
      },
      &walk);
  return walk.open;
}

Status Loop::close() {
  if (closed_) return {};
  // A handle not closing yet belongs to an owner that was not destroyed: refuse, rather than
  // run its callbacks (or wait on it) here.
  if (const size_t open = count_open_handles(); open > 0) {
    return Error(Errc::invalid_argument,
                 "event loop still has " + std::to_string(open) + " open handle(s) at close");
  }
  {
    std::lock_guard lock(mutex_);
    if (wakeup_) {
      uv_close(reinterpret_cast<uv_handle_t*>(wakeup_),
               [](uv_handle_t* h) { delete reinterpret_cast<uv_async_t*>(h); });
      wakeup_ = nullptr;
    }
    posted_.clear();
  }
  // Every remaining handle is closing: this returns once their close callbacks have run.
  uv_run(&loop_, UV_RUN_DEFAULT);
  const int rc = uv_loop_close(&loop_);
  if (rc != 0) return Error(uv_error(rc), "event loop did not close");
  closed_ = true;
  return {};
}

}  // namespace trib::event
