#include "common/collectors/proc_vmstat.h"

namespace trib::collectors {
namespace {
constexpr const char* kModule = "/proc/vmstat";
}  // namespace

ProcVmstatCollector::ProcVmstatCollector(const CollectorContext& context)
    : path_(context.paths.proc + "/vmstat"),
      page_kib_(static_cast<double>(context.page_size) / 1024.0) {
  pgpgio_.def = make_chart({.id = "system.pgpgio",
                            .title = "Memory Paged from/to disk",
                            .units = "KiB/s",
                            .family = "disk",
                            .context = "system.pgpgio",
                            .type = model::ChartType::area,
                            .priority = 151,
                            .module = kModule},
                           context.update_every, {dimension("in"), dimension("out")});
  swapio_.def = make_chart({.id = "system.swapio",
                            .title = "Swap I/O",
                            .units = "KiB/s",
                            .family = "swap",
                            .context = "system.swapio",
                            .type = model::ChartType::area,
                            .priority = 250,
                            .module = kModule},
                           context.update_every, {dimension("in"), dimension("out")});
}

Status ProcVmstatCollector::collect(int64_t now_us, MetricSink& sink) {
  TRIB_ASSIGN_OR_RETURN(std::string_view text, reader_.read(path_));
  uint64_t pgpgin = 0, pgpgout = 0, pswpin = 0, pswpout = 0;
  int found = 0;
  Tokenizer lines(text);
  while (!lines.done() && found < 4) {
    Tokenizer words(lines.next_line());
    std::string_view key = words.next_word();
    uint64_t* target = key == "pgpgin"    ? &pgpgin
                       : key == "pgpgout" ? &pgpgout
                       : key == "pswpin"  ? &pswpin
                       : key == "pswpout" ? &pswpout
                                          : nullptr;
    if (target != nullptr && parse_u64(words.next_word(), *target)) ++found;
  }
  double elapsed = elapsed_.advance(now_us);
  int64_t timestamp = timestamp_of(now_us);

  // pgpgin/pgpgout count KiB; "out" is drawn below the axis, so its final value is negative.
  bool primed = pgpgin_.primed();
  double in = pgpgin_.update(pgpgin, elapsed);
  double out = pgpgout_.update(pgpgout, elapsed);
  pgpgio_.ensure_defined(sink);
  if (primed) pgpgio_.submit(sink, timestamp, {in, -out});

  // Netdata's "auto": the swap chart appears once the host has swapped at all.
  primed = pswpin_.primed();
  double swap_in = pswpin_.update(pswpin, elapsed) * page_kib_;
  double swap_out = pswpout_.update(pswpout, elapsed) * page_kib_;
  if (swapio_.defined || pswpin != 0 || pswpout != 0) {
    swapio_.ensure_defined(sink);
    if (primed) swapio_.submit(sink, timestamp, {swap_in, -swap_out});
  }
  return ok_status();
}

std::unique_ptr<Collector> make_proc_vmstat(const CollectorContext& context) {
  return std::make_unique<ProcVmstatCollector>(context);
}

}  // namespace trib::collectors
