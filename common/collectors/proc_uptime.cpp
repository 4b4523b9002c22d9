#include "common/collectors/proc_uptime.h"

namespace trib::collectors {

ProcUptimeCollector::ProcUptimeCollector(const CollectorContext& context)
    : path_(context.paths.proc + "/uptime") {
  uptime_.def = make_chart({.id = "system.uptime",
                            .title = "System Uptime",
                            .units = "seconds",
                            .family = "uptime",
                            .context = "system.uptime",
                            .priority = 1000,
                            .module = "/proc/uptime"},
                           context.update_every, {dimension("uptime")});
}

Status ProcUptimeCollector::collect(int64_t now_us, MetricSink& sink) {
  TRIB_ASSIGN_OR_RETURN(std::string_view text, reader_.read(path_));
  Tokenizer words(text);
  double seconds = 0;
  if (!parse_double(words.next_word(), seconds)) {
    return Error(Errc::parse_error, path_ + ": expected the uptime in seconds");
  }
  uptime_.ensure_defined(sink);
  uptime_.submit(sink, timestamp_of(now_us), {seconds});
  return ok_status();
}

std::unique_ptr<Collector> make_proc_uptime(const CollectorContext& context) {
  return std::make_unique<ProcUptimeCollector>(context);
}

}  // namespace trib::collectors
