#pragma once
// The way back from the fleet thread to the loop that asked: post() reaches the loop while its
// owner keeps it open and does nothing after detach(). Shared (shared_ptr) between the owner
// and the jobs in flight, so a job finishing late never touches a loop that is gone.

#include <functional>
#include <mutex>

#include "common/event/loop.h"

namespace trib::parent::fleet {

class ReturnPath {
 public:
  explicit ReturnPath(event::Loop& loop) : loop_(&loop) {}

  // Thread-safe.
  void post(std::function<void()> fn) {
    std::lock_guard lock(mutex_);
    if (loop_ != nullptr) loop_->post(std::move(fn));
  }
  // Called by the owner on the loop's thread before the loop closes.
  void detach() {
    std::lock_guard lock(mutex_);
    loop_ = nullptr;
  }

 private:
  std::mutex mutex_;
  event::Loop* loop_;
};

}  // namespace trib::parent::fleet
