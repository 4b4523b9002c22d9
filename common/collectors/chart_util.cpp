#include "common/collectors/chart_util.h"

namespace trib::collectors {

void EmittedChart::ensure_defined(MetricSink& sink) {
  if (defined) return;
  sink.define(def);
  defined = true;
}

void EmittedChart::submit(MetricSink& sink, int64_t timestamp,
                          std::initializer_list<double> values) {
  sample.values.assign(values);
  submit_current(sink, timestamp);
}

void EmittedChart::submit_current(MetricSink& sink, int64_t timestamp) {
  sample.timestamp = timestamp;
  sink.submit(def.id, sample);
}

}  // namespace trib::collectors
