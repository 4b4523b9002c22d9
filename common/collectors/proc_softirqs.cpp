#include "common/collectors/proc_softirqs.h"

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

ProcSoftirqsCollector::ProcSoftirqsCollector(const CollectorContext& context)
    : path_(context.paths.proc + "/softirqs"), table_(softirqs_spec(), context.update_every) {}

Status ProcSoftirqsCollector::collect(int64_t now_us, MetricSink& sink) {
  TRIB_ASSIGN_OR_RETURN(std::string_view text, reader_.read(path_));
  double elapsed = elapsed_.advance(now_us);
  if (!table_.collect(text, elapsed, timestamp_of(now_us), sink)) {
    return Error(Errc::parse_error, path_ + ": no CPU columns in the first line");
  }
  return ok_status();
}

std::unique_ptr<Collector> make_proc_softirqs(const CollectorContext& context) {
  return std::make_unique<ProcSoftirqsCollector>(context);
}

}  // namespace trib::collectors
