#pragma once
// proc.interrupts: /proc/interrupts as Netdata 1.37 charts it: system.interrupts (a dimension
// per interrupt line, the sum over CPUs) and cpu.cpuN_interrupts (per core). Numbered lines are
// named after their device ("ttyS0_26"), the others keep their id ("LOC"). Rules: cpu_table.h.

#include <memory>
#include <string>

#include "common/collectors/chart_util.h"
#include "common/collectors/collector.h"
#include "common/collectors/cpu_table.h"
#include "common/collectors/proc_text.h"

namespace trib::collectors {

class ProcInterruptsCollector final : public Collector {
 public:
  explicit ProcInterruptsCollector(const CollectorContext& context);
  Status collect(int64_t now_us, MetricSink& sink) override;

 private:
  std::string path_;
  FileReader reader_;
  Elapsed elapsed_;
  CpuTable table_;
};

std::unique_ptr<Collector> make_proc_interrupts(const CollectorContext& context);

}  // namespace trib::collectors
