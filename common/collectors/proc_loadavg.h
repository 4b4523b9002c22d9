#pragma once
// proc.loadavg: /proc/loadavg as Netdata 1.37's proc plugin charts it: system.load (every 5 s
// at most, as the kernel computes it) and system.active_processes (threads that exist, every
// collection).

#include <memory>

#include "common/collectors/chart_util.h"
#include "common/collectors/collector.h"
#include "common/collectors/proc_text.h"

namespace trib::collectors {

class ProcLoadavgCollector final : public Collector {
 public:
  explicit ProcLoadavgCollector(const CollectorContext& context);
  Status collect(int64_t now_us, MetricSink& sink) override;

 private:
  std::string path_;
  FileReader reader_;
  EmittedChart load_, active_;
  int64_t next_emit_us_ = 0;
};

std::unique_ptr<Collector> make_proc_loadavg(const CollectorContext& context);

}  // namespace trib::collectors
