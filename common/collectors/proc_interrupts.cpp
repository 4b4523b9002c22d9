#include "common/collectors/proc_interrupts.h"

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

ProcInterruptsCollector::ProcInterruptsCollector(const CollectorContext& context)
    : path_(context.paths.proc + "/interrupts"),
      reader_(16384),  // about 100 bytes per line and CPU column
      table_(interrupts_spec(), context.update_every) {}

Status ProcInterruptsCollector::collect(int64_t now_us, MetricSink& sink) {
  TRIB_ASSIGN_OR_RETURN(std::string_view text, reader_.read(path_));
  double elapsed = elapsed_.advance(now_us);
  if (!table_.collect(text, elapsed, timestamp_of(now_us), sink)) {
    return Error(Errc::parse_error, path_ + ": no CPU columns in the first line");
  }
  return ok_status();
}

std::unique_ptr<Collector> make_proc_interrupts(const CollectorContext& context) {
  return std::make_unique<ProcInterruptsCollector>(context);
}

}  // namespace trib::collectors
