#include "common/collectors/proc_meminfo.h"

namespace trib::collectors {
namespace {
constexpr const char* kModule = "/proc/meminfo";
constexpr double kKibPerMib = 1024.0;

struct Meminfo {
  uint64_t total = 0, free = 0, available = 0, buffers = 0, cached = 0, slab = 0;
  uint64_t swap_total = 0, swap_free = 0;
  bool has_total = false, has_available = false;
};

// Values are in KiB ("MemTotal:  24684092 kB").
Meminfo parse_meminfo(std::string_view text) {
  Meminfo m;
  Tokenizer lines(text);
  while (!lines.done()) {
    Tokenizer words(lines.next_line());
    std::string_view key = words.next_word();
    uint64_t value = 0;
    if (!parse_u64(words.next_word(), value)) continue;
    if (key == "MemTotal:") {
      m.total = value;
      m.has_total = true;
    } else if (key == "MemFree:") {
      m.free = value;
    } else if (key == "MemAvailable:") {
      m.available = value;
      m.has_available = true;
    } else if (key == "Buffers:") {
      m.buffers = value;
    } else if (key == "Cached:") {
      m.cached = value;
    } else if (key == "Slab:") {
      m.slab = value;
    } else if (key == "SwapTotal:") {
      m.swap_total = value;
    } else if (key == "SwapFree:") {
      m.swap_free = value;
    }
  }
  return m;
}

double mib(uint64_t kib) { return static_cast<double>(kib) / kKibPerMib; }
// A difference of kernel values that a racy read can make negative; clamp instead of wrapping.
uint64_t minus(uint64_t a, uint64_t b) { return a > b ? a - b : 0; }
}  // namespace

ProcMeminfoCollector::ProcMeminfoCollector(const CollectorContext& context)
    : path_(context.paths.proc + "/meminfo") {
  ram_.def =
      make_chart({.id = "system.ram",
                  .title = "System RAM",
                  .units = "MiB",
                  .family = "ram",
                  .context = "system.ram",
                  .type = model::ChartType::stacked,
                  .priority = 200,
                  .module = kModule},
                 context.update_every,
                 {dimension("free"), dimension("used"), dimension("cached"), dimension("buffers")});
  available_.def = make_chart({.id = "mem.available",
                               .title = "Available RAM for applications",
                               .units = "MiB",
                               .family = "system",
                               .context = "mem.available",
                               .type = model::ChartType::area,
                               .priority = 1010,
                               .module = kModule},
                              context.update_every, {dimension("MemAvailable", "avail")});
  swap_.def = make_chart({.id = "system.swap",
                          .title = "System Swap",
                          .units = "MiB",
                          .family = "swap",
                          .context = "system.swap",
                          .type = model::ChartType::stacked,
                          .priority = 201,
                          .module = kModule},
                         context.update_every, {dimension("free"), dimension("used")});
}

Status ProcMeminfoCollector::collect(int64_t now_us, MetricSink& sink) {
  TRIB_ASSIGN_OR_RETURN(std::string_view text, reader_.read(path_));
  Meminfo m = parse_meminfo(text);
  if (!m.has_total) return Error(Errc::parse_error, path_ + ": no MemTotal line");
  int64_t timestamp = timestamp_of(now_us);

  // Netdata's accounting: cached includes the slab, used is what remains.
  uint64_t cached = m.cached + m.slab;
  uint64_t used = minus(minus(minus(m.total, m.free), cached), m.buffers);
  ram_.ensure_defined(sink);
  ram_.submit(sink, timestamp, {mib(m.free), mib(used), mib(cached), mib(m.buffers)});

  if (m.has_available) {
    available_.ensure_defined(sink);
    available_.submit(sink, timestamp, {mib(m.available)});
  }
  // Like Netdata: no swap chart on a host that never had swap.
  if (swap_.defined || m.swap_total != 0 || m.swap_free != 0) {
    swap_.ensure_defined(sink);
    swap_.submit(sink, timestamp, {mib(m.swap_free), mib(minus(m.swap_total, m.swap_free))});
  }
  return ok_status();
}

std::unique_ptr<Collector> make_proc_meminfo(const CollectorContext& context) {
  return std::make_unique<ProcMeminfoCollector>(context);
}

}  // namespace trib::collectors
