#include "common/collectors/proc_entropy.h"

namespace trib::collectors {
namespace {
constexpr const char* kFile = "/sys/kernel/random/entropy_avail";
}  // namespace

ProcEntropyCollector::ProcEntropyCollector(const CollectorContext& context)
    : path_(context.paths.proc + kFile) {
  entropy_.def = make_chart({.id = "system.entropy",
                             .title = "Available Entropy",
                             .units = "entropy",
                             .family = "entropy",
                             .context = "system.entropy",
                             .priority = 1000,
                             .module = std::string("/proc") + kFile},
                            context.update_every, {dimension("entropy")});
}

Status ProcEntropyCollector::collect(int64_t now_us, MetricSink& sink) {
  TRIB_ASSIGN_OR_RETURN(std::string_view text, reader_.read(path_));
  bool ok = false;
  uint64_t entropy = first_u64(text, ok);
  if (!ok) return Error(Errc::parse_error, path_ + ": expected a number");
  entropy_.ensure_defined(sink);
  entropy_.submit(sink, timestamp_of(now_us), {static_cast<double>(entropy)});
  return ok_status();
}

std::unique_ptr<Collector> make_proc_entropy(const CollectorContext& context) {
  return std::make_unique<ProcEntropyCollector>(context);
}

}  // namespace trib::collectors
