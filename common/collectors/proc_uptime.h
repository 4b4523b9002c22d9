#pragma once
// proc.uptime: system.uptime from /proc/uptime (Netdata 1.37).

#include <memory>

#include "common/collectors/chart_util.h"
#include "common/collectors/collector.h"
#include "common/collectors/proc_text.h"

namespace trib::collectors {

class ProcUptimeCollector final : public Collector {
 public:
  explicit ProcUptimeCollector(const CollectorContext& context);
  Status collect(int64_t now_us, MetricSink& sink) override;

 private:
  std::string path_;
  FileReader reader_;
  EmittedChart uptime_;
};

std::unique_ptr<Collector> make_proc_uptime(const CollectorContext& context);

}  // namespace trib::collectors
