#include "common/collectors/proc_interrupts.h"

#include "common/collectors/cpu_table.h"

namespace trib::collectors {
namespace {
CpuTableSpec interrupts_spec() {
  return {.system = {.id = "system.interrupts",
                     .title = "System interrupts",
                     .units = "interrupts/s",
                     .family = "interrupts",
                     .context = "system.interrupts",
                     .type = model::ChartType::stacked,
                     .priority = 1000,
                     .module = "/proc/interrupts"},
          .core_id_suffix = "_interrupts",
          .core_title = "CPU Interrupts",
          .core_family = "interrupts",
          .core_context = "cpu.interrupts",
          .core_priority = 1100,
          .name_with_device = true};
}
}  // namespace

std::unique_ptr<Collector> make_proc_interrupts(const CollectorContext& context) {
  return std::make_unique<CpuTableCollector>(context.paths.proc + "/interrupts", interrupts_spec(),
                                             context.update_every,
                                             16384);  // ~100 bytes per line and CPU column
}

}  // namespace trib::collectors
