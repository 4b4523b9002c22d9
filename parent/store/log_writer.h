#pragma once
// The log store's writer thread. Receiver sessions on the I/O loop submit log and gap batches;
// the writer stores everything queued in one transaction (group commit: batches that arrive
// during a commit share the next one), compressing the blocks off the I/O loop, and posts the
// highest committed ticket back. Sessions acknowledge a batch only once its ticket has committed,
// so a batch is durable before its ack, as with a commit per batch, without one disk sync per
// batch on the loop that serves every connection.
//
// A failed commit (a full disk, a read-only file system) keeps the batches queued, makes the
// writer congested so that receivers stop reading, and is retried every second: never a crash,
// never an ack for what is not stored. Retention runs on the writer thread, between commits.
//
// Threads: the public functions run on the I/O loop. The LogStore's writes (appends, retention)
// run on the writer thread only; its queries stay on the I/O loop (LMDB readers do not wait).

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/event/commit_waiters.h"
#include "common/event/loop.h"
#include "common/event/timer.h"
#include "parent/store/log_store.h"

namespace trib::parent::store {

struct LogWriterOptions {
  // Bytes submitted and not yet committed above which receivers stop reading.
  uint64_t max_inflight_bytes = 64 << 20;
  std::chrono::milliseconds retry_interval{1000};
  std::chrono::milliseconds retention_interval{10 * 60 * 1000};
};

struct LogWriterStats {
  uint64_t commits = 0;
  uint64_t failed_commits = 0;
  uint64_t last_commit_us = 0;
  // Gap records submitted (received from senders): log byte ranges and metric time ranges.
  uint64_t log_gaps = 0;
  uint64_t metric_gaps = 0;
};

class LogWriter {
 public:
  LogWriter(event::Loop& io_loop, LogStore& store, LogWriterOptions options = {});
  ~LogWriter();  // commits what was submitted, then stops the thread

  // Queues a batch of `machine_guid`; returns the ticket its commit will report.
  uint64_t submit(std::string machine_guid, stream::LogsMsg batch);
  uint64_t submit(std::string machine_guid, stream::GapsMsg batch);

  uint64_t committed_ticket() const { return waiters_.committed_ticket(); }
  void when_committed(uint64_t ticket, std::function<void()> fn);
  // While the writer fails to commit, or too many bytes wait for it.
  bool congested() const { return failing_ || inflight_bytes_ > options_.max_inflight_bytes; }
  void when_uncongested(std::function<void()> fn);
  const LogWriterStats& stats() const { return stats_; }

 private:
  // What the writer thread reports back to the I/O loop.
  struct Report {
    uint64_t committed_ticket = 0;  // 0: nothing committed
    uint64_t commit_us = 0;
    std::string failure;  // why the last commit failed; empty: it did not
  };

  uint64_t queue(LogWrite write, uint64_t bytes);
  void on_report(const Report& report);
  // Writer thread.
  void run();
  void drain();
  void enforce_retention();

  event::Loop& io_loop_;
  LogStore& store_;
  LogWriterOptions options_;
  // I/O loop.
  uint64_t next_ticket_ = 1;
  uint64_t inflight_bytes_ = 0;
  std::map<uint64_t, uint64_t> inflight_by_ticket_;  // ticket -> bytes
  bool failing_ = false;
  event::CommitWaiters waiters_;
  LogWriterStats stats_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
  // Writer thread.
  event::Loop loop_;
  std::vector<LogWrite> queue_;
  uint64_t queued_through_ = 0;  // ticket of the newest queued write
  bool drain_scheduled_ = false;
  std::unique_ptr<event::Timer> retry_;
  std::unique_ptr<event::Timer> retention_;
  std::thread thread_;
};

}  // namespace trib::parent::store
