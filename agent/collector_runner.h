#pragma once
// Runs the enabled collectors on the agent's collector loop, each on its own update_every,
// aligned to wall-clock multiples of it (so every host samples system.cpu at :00, :01, ...), and
// hands what they emit to `deliver`, which carries it to the network loop.
//
// Lives on the collector loop; apply() and stop() must be called there.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "agent/agent_options.h"
#include "agent/collectors/collector.h"
#include "agent/collectors/limited_sink.h"
#include "common/event/loop.h"
#include "common/event/timer.h"
#include "common/log/log.h"

namespace trib::agent {

// What one collector run produced: chart (re)definitions first, then samples.
struct CollectedBatch {
  std::vector<model::ChartDef> definitions;
  std::vector<std::pair<std::string, model::ChartSample>> samples;
};

class CollectorRunner {
 public:
  using Deliver = std::function<void(CollectedBatch)>;

  CollectorRunner(event::Loop& loop, collectors::CollectorContext base_context, Deliver deliver);
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
  // Accumulates one run's output for `deliver`.
  class BatchSink final : public collectors::MetricSink {
   public:
    void define(const model::ChartDef& def) override { batch.definitions.push_back(def); }
    void submit(const std::string& chart_id, const model::ChartSample& sample) override {
      batch.samples.emplace_back(chart_id, sample);
    }
    CollectedBatch batch;
  };

  struct Running {
    const collectors::CollectorInfo* info = nullptr;
    CollectorOptions options;
    std::vector<ProcessMatch> processes;
    std::unique_ptr<collectors::Collector> collector;
    BatchSink batch_sink;
    std::unique_ptr<collectors::LimitedSink> limited;
    std::unique_ptr<event::Timer> timer;
    log::RateLimitedLog error_log{std::chrono::seconds(60)};
  };

  void start_collector(const collectors::CollectorInfo& info, const CollectorOptions& options,
                       const std::vector<ProcessMatch>& processes);
  void schedule(Running& running);
  void run_once(Running& running);

  event::Loop& loop_;
  collectors::CollectorContext base_context_;
  Deliver deliver_;
  std::map<std::string, std::unique_ptr<Running>> running_;
};

}  // namespace trib::agent
