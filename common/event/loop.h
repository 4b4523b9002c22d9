#pragma once
// One libuv loop per thread (ARCHITECTURE.md §2). Every object that wraps a uv handle belongs to
// exactly one Loop and is used only on that loop's thread. The only ways in from another thread
// are Loop::post() and Loop::stop().
//
// Ownership rules, after libuv's own design notes:
//  1. A wrapper owns its uv handle; the handle memory is freed only in uv_close's callback.
//  2. Destroying a wrapper closes its handle and drops its callbacks at once, so no callback
//     ever runs on a destroyed owner.
//  3. A loop is finished by Loop::close(), which runs the pending close callbacks and then
//     requires uv_loop_close() to succeed: anything still open is a leak and a bug.

#include <uv.h>

#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "common/base/result.h"

namespace trib::event {

class Loop {
 public:
  Loop();
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  uv_loop_t* raw() { return &loop_; }

  // Runs callbacks until stop() is called. Call on the loop's own thread.
  void run();
  // Asks run() to return. Thread-safe; callable from signal handlers' loop callbacks too.
  void stop();
  // Runs `fn` on the loop's thread, in order of posting. Thread-safe. Closures posted after
  // close() are dropped.
  void post(std::function<void()> fn);

  // Runs until every closing handle has finished, then closes the loop. Fails (and leaves the
  // loop open) when a handle is still active: its owner was not destroyed.
  Status close();

  // The loop's cached monotonic time in milliseconds.
  uint64_t now_ms() const { return uv_now(&loop_); }

 private:
  static void on_async(uv_async_t* async);
  void run_posted();
  size_t count_open_handles();

  uv_loop_t loop_{};
  uv_async_t* wakeup_ = nullptr;  // freed in its close callback
  std::mutex mutex_;
  std::vector<std::function<void()>> posted_;
  bool stop_requested_ = false;
  bool closed_ = false;
};

// Base for wrappers of one uv handle of type H, with per-handle state S kept beside it in the
// same allocation. The allocation is freed in the close callback (rule 1); state is reset when
// the owner goes away (rule 2).
template <class H, class S>
class HandleBox {
 public:
  struct Block {
    H handle{};
    S state{};
  };

  HandleBox() : block_(new Block) { block_->handle.data = block_; }
  ~HandleBox() { close(); }
  HandleBox(const HandleBox&) = delete;
  HandleBox& operator=(const HandleBox&) = delete;

  H* handle() { return &block_->handle; }
  S& state() { return block_->state; }
  bool valid() const { return block_ != nullptr; }

  // Closes the handle (idempotent). `initialized` tells whether uv_*_init succeeded; a handle
  // that was never initialized is freed at once.
  void close(bool initialized = true) {
    if (!block_) return;
    Block* block = block_;
    block_ = nullptr;
    block->state = S{};
    auto* h = reinterpret_cast<uv_handle_t*>(&block->handle);
    if (!initialized_ || !initialized) {
      delete block;
      return;
    }
    if (uv_is_closing(h)) return;
    uv_close(h, [](uv_handle_t* closing) { delete static_cast<Block*>(closing->data); });
  }
  void mark_initialized() { initialized_ = true; }

  static S& state_of(H* h) { return static_cast<Block*>(h->data)->state; }

 private:
  Block* block_;
  bool initialized_ = false;
};

}  // namespace trib::event
