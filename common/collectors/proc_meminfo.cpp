#include "common/collectors/proc_meminfo.h"

namespace trib::collectors {
namespace {
constexpr const char* kModule = "/proc/meminfo";
constexpr double kKibPerMib = 1024.0;

ChartSpec meminfo_chart(std::string id, std::string title, std::string family, int32_t priority,
                        model::ChartType type) {
  return proc_chart(kModule, std::move(id), std::move(title), "MiB", std::move(family), priority,
                    type);
}

// A value in KiB charted in MiB.
TableDim mib_of(std::string_view key, std::string_view id = {}) {
  return {
      .key = key, .id = id.empty() ? key : id, .factor = 1.0 / kKibPerMib, .incremental = false};
}

std::vector<TableChart> meminfo_charts() {
  using model::ChartType;
  return {
      {.spec = meminfo_chart("mem.committed", "Committed (Allocated) Memory", "system", 1030,
                             ChartType::area),
       .dims = {mib_of("Committed_AS")},
       .show_zero = true},
      {.spec = meminfo_chart("mem.writeback", "Writeback Memory", "kernel", 1100, ChartType::line),
       .dims = {mib_of("Dirty"), mib_of("Writeback"), mib_of("WritebackTmp", "FuseWriteback"),
                mib_of("NFS_Unstable", "NfsWriteback"), mib_of("Bounce")},
       .show_zero = true},
      {.spec =
           meminfo_chart("mem.kernel", "Memory Used by Kernel", "kernel", 1101, ChartType::stacked),
       .dims = {mib_of("Slab"), mib_of("KernelStack"), mib_of("PageTables"), mib_of("VmallocUsed"),
                mib_of("Percpu")},
       .show_zero = true},
      {.spec =
           meminfo_chart("mem.slab", "Reclaimable Kernel Memory", "slab", 1200, ChartType::stacked),
       .dims = {mib_of("SReclaimable", "reclaimable"), mib_of("SUnreclaim", "unreclaimable")},
       .show_zero = true},
      {.spec = meminfo_chart("mem.hwcorrupt", "Corrupted Memory detected by ECC", "ecc", 1500,
                             ChartType::line),
       .dims = {mib_of("HardwareCorrupted")}},
      {.spec = meminfo_chart("mem.transparent_hugepages", "Transparent HugePages Memory",
                             "hugepages", 1250, ChartType::stacked),
       .dims = {mib_of("AnonHugePages", "anonymous"), mib_of("ShmemHugePages", "shmem")}},
  };
}

double mib(uint64_t kib) { return static_cast<double>(kib) / kKibPerMib; }
// A difference of kernel values that a racy read can make negative; clamp instead of wrapping.
uint64_t minus(uint64_t a, uint64_t b) { return a > b ? a - b : 0; }
}  // namespace

ProcMeminfoCollector::ProcMeminfoCollector(const CollectorContext& context)
    : path_(context.paths.proc + "/meminfo"), table_(meminfo_charts(), context.update_every) {
  auto watch = [this](std::string_view key) { return table_.watch("", key); };
  slots_ = {.total = watch("MemTotal"),
            .free = watch("MemFree"),
            .available = watch("MemAvailable"),
            .buffers = watch("Buffers"),
            .cached = watch("Cached"),
            .slab = watch("Slab"),
            .swap_total = watch("SwapTotal"),
            .swap_free = watch("SwapFree"),
            .huge_total = watch("HugePages_Total"),
            .huge_free = watch("HugePages_Free"),
            .huge_reserved = watch("HugePages_Rsvd"),
            .huge_surplus = watch("HugePages_Surp"),
            .huge_page_size = watch("Hugepagesize")};
  using model::ChartType;
  ram_.def =
      make_chart(meminfo_chart("system.ram", "System RAM", "ram", 200, ChartType::stacked),
                 context.update_every,
                 {dimension("free"), dimension("used"), dimension("cached"), dimension("buffers")});
  available_.def = make_chart(meminfo_chart("mem.available", "Available RAM for applications",
                                            "system", 1010, ChartType::area),
                              context.update_every, {dimension("MemAvailable", "avail")});
  swap_.def =
      make_chart(meminfo_chart("system.swap", "System Swap", "swap", 201, ChartType::stacked),
                 context.update_every, {dimension("free"), dimension("used")});
  hugepages_.def = make_chart(
      meminfo_chart("mem.hugepages", "Dedicated HugePages Memory", "hugepages", 1251,
                    ChartType::stacked),
      context.update_every,
      {dimension("free"), dimension("used"), dimension("surplus"), dimension("reserved")});
}

void ProcMeminfoCollector::emit_ram_and_swap(int64_t timestamp, MetricSink& sink) {
  // Netdata's accounting: cached includes the slab, used is what remains.
  uint64_t total = kib(slots_.total), free = kib(slots_.free), buffers = kib(slots_.buffers);
  uint64_t cached = kib(slots_.cached) + kib(slots_.slab);
  uint64_t used = minus(minus(minus(total, free), cached), buffers);
  ram_.ensure_defined(sink);
  ram_.submit(sink, timestamp, {mib(free), mib(used), mib(cached), mib(buffers)});

  if (table_.present(slots_.available)) {
    available_.ensure_defined(sink);
    available_.submit(sink, timestamp, {mib(kib(slots_.available))});
  }
  // Like Netdata: no swap chart on a host that never had swap.
  uint64_t swap_total = kib(slots_.swap_total), swap_free = kib(slots_.swap_free);
  if (swap_.defined || swap_total != 0 || swap_free != 0) {
    swap_.ensure_defined(sink);
    swap_.submit(sink, timestamp, {mib(swap_free), mib(minus(swap_total, swap_free))});
  }
}

void ProcMeminfoCollector::emit_hugepages(int64_t timestamp, MetricSink& sink) {
  // Counts of pages of Hugepagesize KiB; the chart appears once pages are reserved.
  uint64_t total = kib(slots_.huge_total), free = kib(slots_.huge_free);
  if (!hugepages_.defined && total == 0) return;
  uint64_t reserved = kib(slots_.huge_reserved);
  double page_mib = mib(kib(slots_.huge_page_size));
  hugepages_.ensure_defined(sink);
  hugepages_.submit(sink, timestamp,
                    {static_cast<double>(free) * page_mib,
                     static_cast<double>(minus(minus(total, free), reserved)) * page_mib,
                     static_cast<double>(kib(slots_.huge_surplus)) * page_mib,
                     static_cast<double>(reserved) * page_mib});
}

Status ProcMeminfoCollector::collect(int64_t now_us, MetricSink& sink) {
  TRIB_ASSIGN_OR_RETURN(std::string_view text, reader_.read(path_));
  table_.begin_read();
  parser_.parse(text, table_);
  if (!table_.present(slots_.total)) return Error(Errc::parse_error, path_ + ": no MemTotal line");
  int64_t timestamp = timestamp_of(now_us);
  emit_ram_and_swap(timestamp, sink);
  table_.emit(0, timestamp, sink);  // gauges only
  emit_hugepages(timestamp, sink);
  return ok_status();
}

std::unique_ptr<Collector> make_proc_meminfo(const CollectorContext& context) {
  return std::make_unique<ProcMeminfoCollector>(context);
}

}  // namespace trib::collectors
