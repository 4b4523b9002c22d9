#include "parent/store/log_writer.h"

#include "common/log/log.h"
#include "common/time/clock.h"

namespace trib::parent::store {
namespace {

using Clock = std::chrono::steady_clock;

// What a batch holds in memory until it is committed, roughly: the backpressure measure.
uint64_t batch_bytes(const stream::LogsMsg& batch) {
  uint64_t bytes = 0;
  for (const stream::LogRecord& r : batch.records) bytes += r.line.size() + 48;
  return bytes;
}

uint64_t batch_bytes(const stream::GapsMsg& batch) {
  return (batch.gaps.size() + batch.metric_gaps.size()) * 96;
}

}  // namespace

LogWriter::LogWriter(event::Loop& io_loop, LogStore& store, LogWriterOptions options)
    : io_loop_(io_loop), store_(store), options_(options) {
  thread_ = std::thread([this] { run(); });
}

LogWriter::~LogWriter() {
  // The timers live until run() returns: a drain posted by a submit may still run after this.
  loop_.post([this] {
    drain();
    loop_.stop();
  });
  thread_.join();
}

uint64_t LogWriter::submit(std::string machine_guid, stream::LogsMsg batch) {
  const uint64_t bytes = batch_bytes(batch);
  return queue(LogWrite{std::move(machine_guid), std::move(batch)}, bytes);
}

uint64_t LogWriter::submit(std::string machine_guid, stream::GapsMsg batch) {
  const uint64_t bytes = batch_bytes(batch);
  stats_.log_gaps += batch.gaps.size();
  stats_.metric_gaps += batch.metric_gaps.size();
  return queue(LogWrite{std::move(machine_guid), std::move(batch)}, bytes);
}

uint64_t LogWriter::queue(LogWrite write, uint64_t bytes) {
  const uint64_t ticket = next_ticket_++;
  inflight_bytes_ += bytes;
  inflight_by_ticket_[ticket] = bytes;
  loop_.post([this, ticket, w = std::move(write)]() mutable {
    queue_.push_back(std::move(w));
    queued_through_ = ticket;
    if (!drain_scheduled_) {
      drain_scheduled_ = true;
      // Posted behind the batches already waiting, so one transaction takes them all.
      loop_.post([this] { drain(); });
    }
  });
  return ticket;
}

void LogWriter::when_committed(uint64_t ticket, std::function<void()> fn) {
  waiters_.when_committed(ticket, std::move(fn));
}

void LogWriter::when_uncongested(std::function<void()> fn) {
  waiters_.when_uncongested(congested(), std::move(fn));
}

void LogWriter::on_report(const Report& report) {
  if (!report.failure.empty()) {
    ++stats_.failed_commits;
    if (!failing_) {
      TRIB_LOG(store, error,
               "[logs] the log store cannot commit, receivers stop reading and it retries "
               "every {} ms: {}",
               options_.retry_interval.count(), report.failure);
    }
    failing_ = true;
  }
  if (report.committed_ticket != 0) {
    if (failing_) TRIB_LOG(store, warn, "[logs] the log store commits again: receivers resume");
    failing_ = false;
    ++stats_.commits;
    stats_.last_commit_us = report.commit_us;
    while (!inflight_by_ticket_.empty() &&
           inflight_by_ticket_.begin()->first <= report.committed_ticket) {
      inflight_bytes_ -= inflight_by_ticket_.begin()->second;
      inflight_by_ticket_.erase(inflight_by_ticket_.begin());
    }
  }
  waiters_.committed(report.committed_ticket, congested());
}

void LogWriter::run() {
  retry_ = std::make_unique<event::Timer>(loop_);
  retention_ = std::make_unique<event::Timer>(loop_);
  // The first pass soon after the start: a parent down for long may hold data past max_age.
  retention_->start(std::chrono::seconds(1), options_.retention_interval,
                    [this] { enforce_retention(); });
  loop_.run();
  retry_.reset();
  retention_.reset();
  if (auto closed = loop_.close(); !closed.ok()) {
    TRIB_LOG(store, error, "[logs writer] {}", closed.error().describe());
  }
}

void LogWriter::drain() {
  drain_scheduled_ = false;
  retry_->stop();
  if (queue_.empty()) return;
  const auto started = Clock::now();
  const Status status = store_.append_all(queue_);
  Report report;
  if (status.ok()) {
    report.committed_ticket = queued_through_;
    report.commit_us = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started).count());
    queue_.clear();
  } else {
    report.failure = status.error().describe();
    retry_->start(options_.retry_interval, std::chrono::milliseconds(0), [this] { drain(); });
  }
  io_loop_.post([this, alive = std::weak_ptr<int>(alive_), report] {
    if (alive.lock()) on_report(report);
  });
}

void LogWriter::enforce_retention() {
  const Status status = store_.enforce_retention(time::SystemClock::instance().now_us() / 1000);
  if (!status.ok()) TRIB_LOG(store, error, "[logs] retention: {}", status.error().describe());
}

}  // namespace trib::parent::store
