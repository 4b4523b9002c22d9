#pragma once
// proc.softirqs: /proc/softirqs as Netdata 1.37 charts it: system.softirqs (a dimension
// per softirq (HI, TIMER, NET_RX, ...), the sum over CPUs) and cpu.cpuN_softirqs (per core).
// Rules: cpu_table.h.

#include <memory>

#include "common/collectors/collector.h"

namespace trib::collectors {

std::unique_ptr<Collector> make_proc_softirqs(const CollectorContext& context);

}  // namespace trib::collectors
