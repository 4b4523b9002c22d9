#include "agent/logs/tail_service.h"

#include "common/log/log.h"
#include "common/time/clock.h"

namespace trib::agent::logs {
namespace {

constexpr std::chrono::milliseconds kPollInterval{200};

}  // namespace

TailService::TailService(std::string data_dir, TailerLimits limits, Emit emit)
    : data_dir_(std::move(data_dir)), limits_(limits), emit_(std::move(emit)) {}

TailService::~TailService() { stop(); }

Status TailService::start(const LogsOptions& options) {
  TRIB_ASSIGN_OR_RETURN(store_, CheckpointStore::open(data_dir_ + "/logs-checkpoints"));
  TRIB_ASSIGN_OR_RETURN(tailer_,
                        Tailer::create(*store_, time::SystemClock::instance(), limits_, emit_));
  TRIB_TRY(tailer_->configure(options));
  loop_.post([this, options] { on_tail_thread_start(options); });
  thread_ = std::thread([this] {
    loop_.run();
    poll_timer_.reset();
    scan_timer_.reset();
    watches_.clear();
    tailer_.reset();
    const Status closed = loop_.close();
    if (!closed.ok()) TRIB_LOG(tail, error, "{}", closed.error().describe());
  });
  return {};
}

void TailService::on_tail_thread_start(const LogsOptions& options) {
  poll_timer_ = std::make_unique<event::Timer>(loop_);
  scan_timer_ = std::make_unique<event::Timer>(loop_);
  tailer_->scan();
  arm_poll_timer();
  const auto every = std::chrono::duration_cast<std::chrono::milliseconds>(options.scan_interval);
  scan_timer_->start(every, every, [this] {
    tailer_->scan();
    publish_stats();
  });
  arm_watches();
  publish_stats();
}

void TailService::arm_poll_timer() {
  if (!tailer_->has_sources()) {
    poll_timer_->stop();
    return;
  }
  poll_timer_->start(kPollInterval, kPollInterval, [this] {
    if (tailer_->wants_scan() || scan_soon_) {
      scan_soon_ = false;
      tailer_->scan();
    }
    tailer_->poll();
    publish_stats();
  });
}

void TailService::publish_stats() {
  const TailerStats& stats = tailer_->stats();
  const std::lock_guard lock(stats_mutex_);
  stats_ = stats;
}

TailerStats TailService::stats() const {
  const std::lock_guard lock(stats_mutex_);
  return stats_;
}

void TailService::arm_watches() {
  const auto roots = tailer_->watch_roots();
  if (roots == watched_) return;
  watches_.clear();
  watched_ = roots;
  for (const std::string& root : roots) {
    auto box = std::make_unique<event::HandleBox<uv_fs_event_t, WatchState>>();
    box->state().owner = this;
    if (uv_fs_event_init(loop_.raw(), box->handle()) != 0) {
      box->close(false);
      continue;
    }
    box->mark_initialized();
    const int rc = uv_fs_event_start(
        box->handle(),
        [](uv_fs_event_t* handle, const char*, int, int) {
          auto& state = event::HandleBox<uv_fs_event_t, WatchState>::state_of(handle);
          if (state.owner != nullptr) state.owner->scan_soon_ = true;  // a hint: scan next poll
        },
        root.c_str(), 0);
    if (rc != 0) {
      TRIB_LOG(tail, info, "[tail] no inotify watch on {} ({}); the periodic scan covers it", root,
               uv_strerror(rc));
      continue;
    }
    watches_.push_back(std::move(box));
  }
}

void TailService::configure(const LogsOptions& options) {
  loop_.post([this, options] {
    if (!tailer_) return;
    const Status status = tailer_->configure(options);
    if (!status.ok()) {
      TRIB_LOG(config, error, "log sources refused, keeping the running ones: {}",
               status.error().describe());
      return;
    }
    const auto every = std::chrono::duration_cast<std::chrono::milliseconds>(options.scan_interval);
    if (scan_timer_) {
      scan_timer_->start(every, every, [this] {
        tailer_->scan();
        publish_stats();
      });
    }
    if (poll_timer_) arm_poll_timer();
    arm_watches();
    publish_stats();
  });
}

void TailService::acked(uint64_t ticket) {
  loop_.post([this, ticket] {
    if (!tailer_) return;
    tailer_->acked(ticket);
    // Room for more: keep a backlog moving at the pace of the acks, not of the poll timer.
    if (tailer_->has_backlog()) tailer_->poll();
    publish_stats();
  });
}

void TailService::rewind() {
  loop_.post([this] {
    if (!tailer_) return;
    tailer_->rewind();
    publish_stats();
  });
}

void TailService::stop() {
  if (!thread_.joinable()) return;
  loop_.stop();
  thread_.join();
}

}  // namespace trib::agent::logs
