#pragma once
// proc.softirqs: /proc/softirqs as Netdata 1.37 charts it: system.softirqs (a dimension
// per softirq (HI, TIMER, NET_RX, ...), the sum over CPUs) and cpu.cpuN_softirqs (per core).
// Rules: cpu_table.h.

#include <memory>
#include <string>

#include "common/collectors/chart_util.h"
#include "common/collectors/collector.h"
#include "common/collectors/cpu_table.h"
#include "common/collectors/proc_text.h"

namespace trib::collectors {

class ProcSoftirqsCollector final : public Collector {
 public:
  explicit ProcSoftirqsCollector(const CollectorContext& context);
  Status collect(int64_t now_us, MetricSink& sink) override;

 private:
  std::string path_;
  FileReader reader_;
  Elapsed elapsed_;
  CpuTable table_;
};

std::unique_ptr<Collector> make_proc_softirqs(const CollectorContext& context);

}  // namespace trib::collectors
