#include "common/collectors/proc_vmstat.h"

namespace trib::collectors {
namespace {
constexpr const char* kModule = "/proc/vmstat";

ChartSpec vmstat_chart(std::string id, std::string title, std::string units, std::string family,
                       int32_t priority, model::ChartType type = model::ChartType::line) {
  return proc_chart(kModule, std::move(id), std::move(title), std::move(units), std::move(family),
                    priority, type);
}

TableDim rate(std::string_view key, std::string_view id, double factor = 1) {
  return {.key = key, .id = id, .factor = factor};
}

std::vector<TableChart> vmstat_charts(double page_kib) {
  constexpr auto kArea = model::ChartType::area;
  // Netdata draws out, swapped out and major faults below the axis: final values carry the sign.
  return {
      // pgpgin/pgpgout count KiB.
      {.spec =
           vmstat_chart("system.pgpgio", "Memory Paged from/to disk", "KiB/s", "disk", 151, kArea),
       .dims = {rate("pgpgin", "in"), rate("pgpgout", "out", -1)},
       .show_zero = true},
      // Netdata's "auto": the swap chart appears once the host has swapped at all.
      {.spec = vmstat_chart("system.swapio", "Swap I/O", "KiB/s", "swap", 250, kArea),
       .dims = {rate("pswpin", "in", page_kib), rate("pswpout", "out", -page_kib)}},
      {.spec = vmstat_chart("mem.pgfaults", "Memory Page Faults", "faults/s", "system", 1040),
       .dims = {rate("pgfault", "minor"), rate("pgmajfault", "major", -1)},
       .show_zero = true},
      {.spec = vmstat_chart("mem.oom_kill", "Out of Memory Kills", "kills/s", "system", 1020),
       .dims = {rate("oom_kill", "kills")},
       .show_zero = true},
  };
}
}  // namespace

ProcVmstatCollector::ProcVmstatCollector(const CollectorContext& context)
    : CounterTableCollector(context.paths.proc + "/vmstat", 8192,  // about 6 KiB on recent kernels
                            vmstat_charts(static_cast<double>(context.page_size) / 1024.0),
                            context.update_every) {}

std::unique_ptr<Collector> make_proc_vmstat(const CollectorContext& context) {
  return std::make_unique<ProcVmstatCollector>(context);
}

}  // namespace trib::collectors
