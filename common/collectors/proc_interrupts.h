#pragma once
// proc.interrupts: /proc/interrupts as Netdata 1.37 charts it: system.interrupts (a dimension
// per interrupt line, the sum over CPUs) and cpu.cpuN_interrupts (per core). Numbered lines are
// named after their device ("ttyS0_26"), the others keep their id ("LOC"). Rules: cpu_table.h.

#include <memory>

#include "common/collectors/collector.h"

namespace trib::collectors {

std::unique_ptr<Collector> make_proc_interrupts(const CollectorContext& context);

}  // namespace trib::collectors
