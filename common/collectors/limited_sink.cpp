#include "common/collectors/limited_sink.h"

#include <algorithm>

namespace trib::collectors {

LimitedSink::LimitedSink(std::string collector_name, MetricSink& inner, uint32_t max_series,
                         uint32_t max_values_per_second, const time::Clock& clock)
    : name_(std::move(collector_name)),
      inner_(inner),
      max_series_(max_series),
      max_values_per_second_(max_values_per_second),
      clock_(clock),
      tokens_(max_values_per_second),
      last_refill_us_(clock.now_us()) {}

void LimitedSink::define(const model::ChartDef& def) {
  auto known = accepted_.find(def.id);
  size_t previous = known == accepted_.end() ? 0 : known->second;
  size_t wanted = def.dimensions.size();
  if (wanted > previous && series_ + (wanted - previous) > max_series_) {
    held_back_series_ += wanted - previous;
    refused_.insert(def.id);
    uint64_t suppressed = 0;
    if (series_log_.should_log(std::chrono::steady_clock::now(), suppressed)) {
      TRIB_LOG(collector, warn,
               "[collector:{}] chart {} not defined: {} more series would exceed max_series {} "
               "({} series held back so far, {} similar warnings suppressed)",
               name_, def.id, wanted - previous, max_series_, held_back_series_, suppressed);
    }
    return;
  }
  series_ = series_ - previous + wanted;
  accepted_[def.id] = wanted;
  refused_.erase(def.id);
  inner_.define(def);
}

void LimitedSink::refill() {
  int64_t now = clock_.now_us();
  if (now > last_refill_us_) {
    double earned = static_cast<double>(now - last_refill_us_) / 1e6 * max_values_per_second_;
    tokens_ = std::min(max_values_per_second_, tokens_ + earned);
  }
  last_refill_us_ = now;  // a clock stepping back earns nothing
}

void LimitedSink::submit(const std::string& chart_id, const model::ChartSample& sample) {
  double count = static_cast<double>(sample.values.size());
  // One lookup a sample in the usual case, where nothing was refused.
  if ((!refused_.empty() && refused_.contains(chart_id)) || !accepted_.contains(chart_id)) {
    dropped_values_ += sample.values.size();
    return;
  }
  refill();
  if (tokens_ < count) {
    dropped_values_ += sample.values.size();
    uint64_t suppressed = 0;
    if (rate_log_.should_log(std::chrono::steady_clock::now(), suppressed)) {
      TRIB_LOG(collector, warn,
               "[collector:{}] values of chart {} dropped: over max_values_per_second {} "
               "({} values dropped so far, {} similar warnings suppressed)",
               name_, chart_id, max_values_per_second_, dropped_values_, suppressed);
    }
    return;
  }
  tokens_ -= count;
  inner_.submit(chart_id, sample);
}

}  // namespace trib::collectors
