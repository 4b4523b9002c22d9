#pragma once
// Runs the enabled collectors on the agent's collector loop. Collectors that share an
// update_every run together on one timer, aligned to wall-clock multiples of it (so every host
// samples system.cpu at :00, :01, ...), and what they emit in that round goes to `deliver` as
// one batch: one wakeup and one hand-over to the network loop per round, not one per collector.
//
// Lives on the collector loop; apply() and stop() must be called there.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/collectors/collector.h"
#include "common/collectors/collector_options.h"
#include "common/collectors/limited_sink.h"
#include "common/event/loop.h"
#include "common/event/timer.h"
#include "common/log/log.h"

namespace trib::collectors {

// What one round produced: chart (re)definitions first, then samples.
struct CollectedBatch {
  std::vector<model::ChartDef> definitions;
  std::vector<std::pair<std::string, model::ChartSample>> samples;
};

class CollectorRunner {
 public:
  using Deliver = std::function<void(CollectedBatch)>;

  CollectorRunner(event::Loop& loop, CollectorContext base_context, Deliver deliver);
  ~CollectorRunner();

  // Starts, stops or re-creates collectors so that exactly the enabled ones run with these
  // settings. A collector whose settings did not change keeps running untouched (its rate
  // counters stay primed).
  void apply(const std::map<std::string, CollectorOptions>& options,
             const std::vector<ProcessMatch>& processes);
  void stop();

  // Names of the collectors running now (for logs and tests).
  std::vector<std::string> running() const;

 private:
  // Accumulates one round's output for `deliver`.
  class BatchSink final : public MetricSink {
   public:
    void define(const model::ChartDef& def) override { batch.definitions.push_back(def); }
    void submit(const std::string& chart_id, const model::ChartSample& sample) override {
      batch.samples.emplace_back(chart_id, sample);
    }
    CollectedBatch batch;
  };

  // The collectors of one update_every, run together.
  struct Round {
    std::chrono::seconds every{1};
    BatchSink sink;
    std::unique_ptr<event::Timer> timer;
  };

  struct Running {
    const CollectorInfo* info = nullptr;
    CollectorOptions options;
    std::vector<ProcessMatch> processes;
    std::unique_ptr<Collector> collector;
    std::unique_ptr<LimitedSink> limited;  // feeds its round's sink
    log::RateLimitedLog error_log{std::chrono::seconds(60)};
  };

  void start_collector(const CollectorInfo& info, const CollectorOptions& options,
                       const std::vector<ProcessMatch>& processes);
  Round& round_for(std::chrono::seconds every);
  void drop_idle_rounds();
  void schedule(Round& round);
  void run_round(Round& round);
  void collect(Running& running, int64_t now_us);

  event::Loop& loop_;
  CollectorContext base_context_;
  Deliver deliver_;
  std::map<std::string, std::unique_ptr<Running>> running_;  // by collector name
  std::map<int64_t, std::unique_ptr<Round>> rounds_;         // by update_every in seconds
};

}  // namespace trib::collectors
