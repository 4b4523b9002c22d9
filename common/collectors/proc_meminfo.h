#pragma once
// proc.meminfo: system.ram, mem.available and system.swap from /proc/meminfo (Netdata 1.37).

#include <memory>

#include "common/collectors/chart_util.h"
#include "common/collectors/collector.h"
#include "common/collectors/proc_text.h"

namespace trib::collectors {

class ProcMeminfoCollector final : public Collector {
 public:
  explicit ProcMeminfoCollector(const CollectorContext& context);
  Status collect(int64_t now_us, MetricSink& sink) override;

 private:
  std::string path_;
  FileReader reader_;
  EmittedChart ram_, available_, swap_;
};

std::unique_ptr<Collector> make_proc_meminfo(const CollectorContext& context);

}  // namespace trib::collectors
