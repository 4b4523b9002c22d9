#include "common/collectors/proc_loadavg.h"

#include <algorithm>

namespace trib::collectors {
namespace {
// Linux recomputes the load average every 5 seconds; Netdata never charts it more often.
constexpr int32_t kMinLoadUpdateEvery = 5;
}  // namespace

ProcLoadavgCollector::ProcLoadavgCollector(const CollectorContext& context)
    : path_(context.paths.proc + "/loadavg") {
  load_.def = make_chart({.id = "system.load",
                          .title = "System Load Average",
                          .units = "load",
                          .family = "load",
                          .context = "system.load",
                          .priority = 100,
                          .module = "/proc/loadavg"},
                         std::max(context.update_every, kMinLoadUpdateEvery),
                         {dimension("load1"), dimension("load5"), dimension("load15")});
  active_.def = make_chart({.id = "system.active_processes",
                            .title = "System Active Processes",
                            .units = "processes",
                            .family = "processes",
                            .context = "system.active_processes",
                            .priority = 750,
                            .module = "/proc/loadavg"},
                           context.update_every, {dimension("active")});
}

Status ProcLoadavgCollector::collect(int64_t now_us, MetricSink& sink) {
  TRIB_ASSIGN_OR_RETURN(std::string_view text, reader_.read(path_));
  Tokenizer words(text);
  double load[3];
  for (double& value : load) {
    if (!parse_double(words.next_word(), value)) {
      return Error(Errc::parse_error, path_ + ": expected three load averages");
    }
  }
  // "running/total": the threads that exist now.
  std::string_view threads = words.next_word();
  size_t slash = threads.find('/');
  uint64_t total = 0;
  bool have_total = slash != std::string_view::npos && parse_u64(threads.substr(slash + 1), total);

  int64_t timestamp = timestamp_of(now_us);
  if (now_us >= next_emit_us_) {
    next_emit_us_ = now_us + int64_t{load_.def.update_every} * 1'000'000;
    load_.ensure_defined(sink);
    load_.submit(sink, timestamp, {load[0], load[1], load[2]});
  }
  if (have_total) {
    active_.ensure_defined(sink);
    active_.submit(sink, timestamp, {static_cast<double>(total)});
  }
  return ok_status();
}

std::unique_ptr<Collector> make_proc_loadavg(const CollectorContext& context) {
  return std::make_unique<ProcLoadavgCollector>(context);
}

}  // namespace trib::collectors
