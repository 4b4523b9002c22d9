#pragma once
// Runs the tailer on a thread of its own (file reads may block; collectors and the sender must
// not wait for them): a poll timer (only while sources are configured: an agent without log
// sources never wakes this thread), the scan timer (scan_interval), and inotify watches on the
// sources' fixed directories as a hint that a scan is due now. Batches go out through `emit` on
// the tail thread; acked(), configure() and stats() may be called from any thread.
//
// Owned by the agent; start() once, stop() before destruction.

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "agent/logs/checkpoint_store.h"
#include "agent/logs/tailer.h"
#include "common/event/loop.h"
#include "common/event/timer.h"

namespace trib::agent::logs {

class TailService {
 public:
  using Emit = std::function<void(TailBatch)>;

  TailService(std::string data_dir, TailerLimits limits, Emit emit);
  ~TailService();

  // Opens the checkpoint store and starts the thread. A bad pattern or an unusable data dir
  // is returned (the agent refuses to start).
  Status start(const LogsOptions& options);
  // Applied on the tail thread; an error is logged and the running sources stay.
  void configure(const LogsOptions& options);
  void acked(uint64_t ticket);
  // The sender was replaced: batches not acknowledged will never be; read them again.
  void rewind();
  void stop();
  // The tailer's counters as of its last poll, scan, ack or reconfiguration. Any thread: the
  // agent reads them with each collection round, so they cost no wakeup of their own.
  TailerStats stats() const;

 private:
  void arm_watches();
  void on_tail_thread_start(const LogsOptions& options);
  // Tail thread: polls every kPollInterval while there are sources, not at all otherwise.
  void arm_poll_timer();
  void publish_stats();

  std::string data_dir_;
  TailerLimits limits_;
  Emit emit_;
  mutable std::mutex stats_mutex_;
  TailerStats stats_;  // guarded by stats_mutex_
  event::Loop loop_;
  std::thread thread_;
  std::unique_ptr<CheckpointStore> store_;
  std::unique_ptr<Tailer> tailer_;  // tail thread only, after start
  std::unique_ptr<event::Timer> poll_timer_;
  std::unique_ptr<event::Timer> scan_timer_;
  struct WatchState {
    TailService* owner = nullptr;
  };
  std::vector<std::unique_ptr<event::HandleBox<uv_fs_event_t, WatchState>>> watches_;
  std::vector<std::string> watched_;
  bool scan_soon_ = false;
};

}  // namespace trib::agent::logs
