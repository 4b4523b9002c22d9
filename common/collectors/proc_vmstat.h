#pragma once
// proc.vmstat: /proc/vmstat as Netdata 1.37 charts it: system.pgpgio, system.swapio (once the
// host has swapped), mem.pgfaults and mem.oom_kill (when the kernel counts OOM kills).

#include <memory>
#include <string>

#include "common/collectors/chart_util.h"
#include "common/collectors/collector.h"
#include "common/collectors/counter_table.h"
#include "common/collectors/proc_text.h"

namespace trib::collectors {

class ProcVmstatCollector final : public CounterTableCollector<KeyValueLines> {
 public:
  explicit ProcVmstatCollector(const CollectorContext& context);
};

std::unique_ptr<Collector> make_proc_vmstat(const CollectorContext& context);

}  // namespace trib::collectors
