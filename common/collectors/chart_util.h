#pragma once
// Small helpers shared by the collectors: counter-to-rate conversion that never spikes, and
// chart/dimension construction in Netdata's vocabulary.

#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "common/collectors/collector.h"
#include "common/model/metrics.h"

namespace trib::collectors {

// A kernel counter (monotonic, may reset or wrap) turned into a per-second rate.
class CounterRate {
 public:
  // The rate since the previous update, or kNoValue when there is none: the first update, a
  // counter that went backwards (reset, wrap, device re-created: re-primed, a gap instead of a
  // spike) or a non-positive elapsed time.
  double update(uint64_t value, double elapsed_s) {
    bool had_previous = primed_;
    uint64_t previous = last_;
    last_ = value;
    primed_ = true;
    if (!had_previous || value < previous || elapsed_s <= 0) return model::kNoValue;
    return static_cast<double>(value - previous) / elapsed_s;
  }
  bool primed() const { return primed_; }

 private:
  uint64_t last_ = 0;
  bool primed_ = false;
};

inline int64_t timestamp_of(int64_t now_us) { return now_us / 1'000'000; }

// The time between two collections of one collector, in whole seconds between the timestamps
// their samples carry; 0 before the second one (and for two collections within one second).
// Rates are divided by this nominal interval, not by the measured one: a sample stamped t then
// holds exactly the counter's increase since the sample before it, so the rates of a series add
// up to the counter's total whatever the wake-up jitter, and a steady 6 packets a second is
// stored as 6, not as 6.0007563 one second and 5.999352 the next (noise that costs the parent
// 1-3 bytes a sample on disk, docs/storage.md).
class Elapsed {
 public:
  // Records now_us and returns the seconds between its timestamp and the previous call's.
  double advance(int64_t now_us) {
    const int64_t stamp = timestamp_of(now_us);
    const double elapsed = last_stamp_ < 0 ? 0.0 : static_cast<double>(stamp - last_stamp_);
    last_stamp_ = stamp;
    return elapsed;
  }

 private:
  int64_t last_stamp_ = -1;
};

inline model::DimensionDef dimension(std::string id, std::string name = {}, bool hidden = false) {
  model::DimensionDef d;
  d.id = std::move(id);
  d.name = std::move(name);
  d.hidden = hidden;
  return d;
}

// What every chart shares, so each collector only states what differs.
struct ChartSpec {
  std::string id;
  std::string title;
  std::string units;
  std::string family;
  std::string context;
  model::ChartType type = model::ChartType::line;
  int32_t priority = 1000;
  std::string plugin = "proc";
  std::string module;
};

// A chart whose context is its own id, as most of Netdata's proc.plugin charts have.
inline ChartSpec proc_chart(std::string module, std::string id, std::string title,
                            std::string units, std::string family, int32_t priority,
                            model::ChartType type = model::ChartType::line) {
  std::string context = id;
  return {.id = std::move(id),
          .title = std::move(title),
          .units = std::move(units),
          .family = std::move(family),
          .context = std::move(context),
          .type = type,
          .priority = priority,
          .module = std::move(module)};
}

inline model::ChartDef make_chart(ChartSpec spec, int32_t update_every,
                                  std::vector<model::DimensionDef> dimensions) {
  model::ChartDef def;
  def.id = std::move(spec.id);
  def.title = std::move(spec.title);
  def.units = std::move(spec.units);
  def.family = std::move(spec.family);
  def.context = std::move(spec.context);
  def.chart_type = spec.type;
  def.priority = spec.priority;
  def.update_every = update_every;
  def.plugin = std::move(spec.plugin);
  def.module = std::move(spec.module);
  def.dimensions = std::move(dimensions);
  return def;
}

// A chart a collector has defined and submits to, with its reusable sample.
struct EmittedChart {
  model::ChartDef def;
  model::ChartSample sample;
  bool defined = false;

  // Defines the chart unless already defined; clear `defined` after changing `def` to redefine.
  void ensure_defined(MetricSink& sink);
  // Submits `values` (one per dimension) at `timestamp`.
  void submit(MetricSink& sink, int64_t timestamp, std::initializer_list<double> values);
  void submit_current(MetricSink& sink, int64_t timestamp);  // sample.values as they are
};

}  // namespace trib::collectors
