#pragma once
// LimitedSink: the per-collector caps (CollectorOptions::max_series and max_values_per_second)
// in front of the real sink. A chart whose dimensions would take the collector past max_series
// is not defined and its submits are dropped; values beyond a token bucket of
// max_values_per_second (refilled continuously, burst up to one second's worth) are dropped a
// whole sample at a time. Everything held back is counted, and logged on the `collector`
// channel once, then at most once a minute, with the collector's name.
//
// Owned by the agent core, one per collector, used on the collector loop only.

#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "common/collectors/collector.h"
#include "common/log/log.h"
#include "common/time/clock.h"

namespace trib::collectors {

class LimitedSink final : public MetricSink {
 public:
  // `inner` and `clock` must outlive this sink.
  LimitedSink(std::string collector_name, MetricSink& inner, uint32_t max_series,
              uint32_t max_values_per_second,
              const time::Clock& clock = time::SystemClock::instance());

  void define(const model::ChartDef& def) override;
  void submit(const std::string& chart_id, const model::ChartSample& sample) override;

  // Dimensions refused because of max_series (counted once per refused definition).
  uint64_t held_back_series() const { return held_back_series_; }
  // Values dropped: by the rate limit, or submitted to a chart that was not defined.
  uint64_t dropped_values() const { return dropped_values_; }
  // Dimensions currently defined through this sink.
  uint64_t series() const { return series_; }

 private:
  void refill();
  void warn(const std::string& what);

  std::string name_;
  MetricSink& inner_;
  uint32_t max_series_;
  double max_values_per_second_;
  const time::Clock& clock_;
  std::unordered_map<std::string, size_t> accepted_;  // chart id -> dimensions
  std::unordered_set<std::string> refused_;           // chart ids whose submits are dropped
  uint64_t series_ = 0;
  double tokens_;
  int64_t last_refill_us_;
  uint64_t held_back_series_ = 0;
  uint64_t dropped_values_ = 0;
  log::RateLimitedLog series_log_{std::chrono::seconds(60)};
  log::RateLimitedLog rate_log_{std::chrono::seconds(60)};
};

}  // namespace trib::collectors
