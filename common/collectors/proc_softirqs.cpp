#include "common/collectors/proc_softirqs.h"

#include "common/collectors/cpu_table.h"

namespace trib::collectors {
namespace {
CpuTableSpec softirqs_spec() {
  return {.system = {.id = "system.softirqs",
                     .title = "System softirqs",
                     .units = "softirqs/s",
                     .family = "softirqs",
                     .context = "system.softirqs",
                     .type = model::ChartType::stacked,
                     .priority = 950,
                     .module = "/proc/softirqs"},
          .core_id_suffix = "_softirqs",
          .core_title = "CPU softirqs",
          .core_family = "softirqs",
          .core_context = "cpu.softirqs",
          .core_priority = 3000};
}
}  // namespace

std::unique_ptr<Collector> make_proc_softirqs(const CollectorContext& context) {
  return std::make_unique<CpuTableCollector>(context.paths.proc + "/softirqs", softirqs_spec(),
                                             context.update_every);
}

}  // namespace trib::collectors
