#pragma once
// What an I/O loop waits for from a writer thread: callbacks to run once a commit ticket is
// durable, and callbacks to run once the writer is no longer congested. Used on the I/O loop only;
// the owner feeds it the committed tickets the writer posts back.

#include <cstdint>
#include <functional>
#include <map>
#include <utility>
#include <vector>

namespace trib::event {

class CommitWaiters {
 public:
  uint64_t committed_ticket() const { return committed_; }

  // Runs `fn` once `ticket` has committed (at once if it has).
  void when_committed(uint64_t ticket, std::function<void()> fn) {
    if (ticket <= committed_) {
      fn();
      return;
    }
    by_ticket_.emplace(ticket, std::move(fn));
  }

  // Runs `fn` once the owner reports no congestion (at once if `congested_now` is false).
  void when_uncongested(bool congested_now, std::function<void()> fn) {
    if (!congested_now) {
      fn();
      return;
    }
    uncongested_.push_back(std::move(fn));
  }

  // Records that everything up to `ticket` committed, then runs the callbacks now due.
  void committed(uint64_t ticket, bool congested_now) {
    committed_ = std::max(committed_, ticket);
    run_due(congested_now);
  }

  void run_due(bool congested_now) {
    while (!by_ticket_.empty() && by_ticket_.begin()->first <= committed_) {
      auto fn = std::move(by_ticket_.begin()->second);
      by_ticket_.erase(by_ticket_.begin());
      fn();
    }
    if (!congested_now && !uncongested_.empty()) {
      auto due = std::move(uncongested_);
      uncongested_.clear();
      for (auto& fn : due) fn();
    }
  }

 private:
  uint64_t committed_ = 0;
  std::multimap<uint64_t, std::function<void()>> by_ticket_;
  std::vector<std::function<void()>> uncongested_;
};

}  // namespace trib::event
