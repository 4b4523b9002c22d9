#include "common/collectors/collector_runner.h"

#include "common/time/clock.h"

namespace trib::collectors {

CollectorRunner::CollectorRunner(event::Loop& loop, CollectorContext base_context, Deliver deliver)
    : loop_(loop), base_context_(std::move(base_context)), deliver_(std::move(deliver)) {}

CollectorRunner::~CollectorRunner() { stop(); }

void CollectorRunner::apply(const std::map<std::string, CollectorOptions>& options,
                            const std::vector<ProcessMatch>& processes) {
  for (const auto& info : registry()) {
    const std::string name(info.name);
    const auto wanted = options.find(name);
    const bool enabled = wanted != options.end() && wanted->second.enabled;
    auto current = running_.find(name);
    if (current != running_.end()) {
      const bool same = enabled && current->second->options == wanted->second &&
                        (!info.watches_processes || current->second->processes == processes);
      if (same) continue;
      running_.erase(current);
      TRIB_LOG(collector, info, "[collector:{}] stopped{}", name,
               enabled ? " for new settings" : "");
    }
    if (enabled) start_collector(info, wanted->second, processes);
  }
  drop_idle_rounds();
}

void CollectorRunner::start_collector(const CollectorInfo& info, const CollectorOptions& options,
                                      const std::vector<ProcessMatch>& processes) {
  auto context = base_context_;
  context.processes = processes;
  context.update_every = static_cast<int32_t>(options.update_every.count());
  Round& round = round_for(options.update_every);
  auto running = std::make_unique<Running>();
  running->info = &info;
  running->options = options;
  running->processes = processes;
  running->collector = info.create(context);
  running->limited = std::make_unique<LimitedSink>(
      std::string(info.name), round.sink, options.max_series, options.max_values_per_second);
  TRIB_LOG(collector, info, "[collector:{}] started, every {} s", info.name,
           options.update_every.count());
  running_[std::string(info.name)] = std::move(running);
}

CollectorRunner::Round& CollectorRunner::round_for(std::chrono::seconds every) {
  auto& slot = rounds_[every.count()];
  if (!slot) {
    slot = std::make_unique<Round>();
    slot->every = every;
    slot->timer = std::make_unique<event::Timer>(loop_);
    schedule(*slot);
  }
  return *slot;
}

void CollectorRunner::drop_idle_rounds() {
  for (auto it = rounds_.begin(); it != rounds_.end();) {
    bool used = false;
    for (const auto& [name, running] : running_) {
      used |= running->options.update_every.count() == it->first;
    }
    it = used ? std::next(it) : rounds_.erase(it);
  }
}

void CollectorRunner::schedule(Round& round) {
  // Fire at the next wall-clock multiple of update_every (plus a few ms, so the kernel's
  // counters of that second are complete).
  const int64_t every_us = round.every.count() * 1'000'000;
  const int64_t now_us = time::SystemClock::instance().now_us();
  const int64_t next_us = (now_us / every_us + 1) * every_us + 5'000;
  const auto delay = std::chrono::milliseconds((next_us - now_us) / 1000);
  round.timer->start(delay, std::chrono::milliseconds(0), [this, &round] {
    run_round(round);
    schedule(round);
  });
}

void CollectorRunner::run_round(Round& round) {
  const int64_t now_us = time::SystemClock::instance().now_us();
  // Registry order, so charts are always defined and sent in the same order.
  for (const auto& info : registry()) {
    const auto it = running_.find(std::string(info.name));
    if (it != running_.end() && it->second->options.update_every == round.every) {
      collect(*it->second, now_us);
    }
  }
  auto& batch = round.sink.batch;
  if (batch.definitions.empty() && batch.samples.empty()) return;
  const size_t samples = batch.samples.size();
  deliver_(std::exchange(batch, CollectedBatch{}));
  batch.samples.reserve(samples);  // the next round emits about as many: no regrowth
}

void CollectorRunner::collect(Running& running, int64_t now_us) {
  const Status status = running.collector->collect(now_us, *running.limited);
  if (status.ok()) return;
  uint64_t suppressed = 0;
  if (running.error_log.should_log(std::chrono::steady_clock::now(), suppressed)) {
    TRIB_LOG(collector, warn, "[collector:{}] {}{}", running.info->name, status.error().describe(),
             suppressed ? fmt::format(" ({} more since last report)", suppressed) : "");
  }
}

void CollectorRunner::stop() {
  running_.clear();
  rounds_.clear();
}

std::vector<std::string> CollectorRunner::running() const {
  std::vector<std::string> names;
  for (const auto& [name, r] : running_) names.push_back(name);
  return names;
}

}  // namespace trib::collectors
