#include "common/collectors/proc_diskstats.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>

namespace trib::collectors {
namespace {
constexpr const char* kModule = "/proc/diskstats";
// The kernel counts diskstats sectors in 512-byte units whatever the device's sector size.
constexpr double kKibPerSector = 512.0 / 1024.0;
constexpr std::string_view kExcludedDisks[] = {"loop*", "ram*"};

bool readable(const std::string& path) { return ::access(path.c_str(), R_OK) == 0; }

bool has_entries(const std::string& dir_path) {
  DIR* dir = ::opendir(dir_path.c_str());
  if (dir == nullptr) return false;
  bool found = false;
  while (dirent* entry = ::readdir(dir)) {
    std::string_view name = entry->d_name;
    if (name != "." && name != "..") {
      found = true;
      break;
    }
  }
  ::closedir(dir);
  return found;
}

std::string_view basename_of(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}
}  // namespace

ProcDiskstatsCollector::ProcDiskstatsCollector(const CollectorContext& context)
    : paths_(context.paths), update_every_(context.update_every) {
  system_io_.def = make_chart({.id = "system.io",
                               .title = "Disk I/O",
                               .units = "KiB/s",
                               .family = "disk",
                               .context = "system.io",
                               .type = model::ChartType::area,
                               .priority = 150,
                               .module = kModule},
                              update_every_, {dimension("in"), dimension("out")});
}

ProcDiskstatsCollector::DiskKind ProcDiskstatsCollector::classify(const std::string& device,
                                                                  uint64_t major,
                                                                  uint64_t minor) const {
  for (std::string_view pattern : kExcludedDisks) {
    if (matches_pattern(pattern, device)) return DiskKind::excluded;
  }
  std::string dev_block =
      paths_.sys + "/dev/block/" + std::to_string(major) + ":" + std::to_string(minor);
  if (readable(dev_block + "/partition")) return DiskKind::partition;
  if (readable(paths_.sys + "/devices/virtual/block/" + device)) return DiskKind::virtual_disk;
  if (has_entries(dev_block + "/slaves")) return DiskKind::virtual_disk;
  if (readable(paths_.sys + "/block/" + device)) return DiskKind::physical;
  return DiskKind::unknown;
}

std::string ProcDiskstatsCollector::mount_point_of(const std::string& device, uint64_t major,
                                                   uint64_t minor) {
  // Netdata's family for a disk is where it is mounted: the mountinfo line with the same
  // major:minor whose mount source is this device.
  auto text = mountinfo_reader_.read(paths_.proc + "/self/mountinfo");
  if (!text.ok()) return {};
  std::string dev = std::to_string(major) + ":" + std::to_string(minor);
  Tokenizer lines(*text);
  while (!lines.done()) {
    Tokenizer words(lines.next_line());
    words.next_word();  // mount id
    words.next_word();  // parent id
    if (words.next_word() != dev) continue;
    words.next_word();  // root
    std::string_view mount_point = words.next_word();
    std::string_view word;
    while (!(word = words.next_word()).empty() && word != "-") {
    }
    words.next_word();  // filesystem type
    if (decode_octal_escapes(basename_of(words.next_word())) == device) {
      return decode_octal_escapes(mount_point);
    }
  }
  return {};
}

ProcDiskstatsCollector::Disk& ProcDiskstatsCollector::find_or_add(std::string_view device,
                                                                  uint64_t major, uint64_t minor) {
  for (auto& disk : disks_) {
    if (disk->device == device && disk->major == major && disk->minor == minor) return *disk;
  }
  auto disk = std::make_unique<Disk>();
  disk->device = std::string(device);
  disk->major = major;
  disk->minor = minor;
  disk->kind = classify(disk->device, major, minor);
  if (disk->kind != DiskKind::excluded && disk->kind != DiskKind::partition) {
    disk->chart_id = fix_chart_id(disk->device);
    disk->family = mount_point_of(disk->device, major, minor);
    if (disk->family.empty()) disk->family = disk->device;
    auto spec = [this, &disk](std::string type, std::string title, std::string units,
                              std::string context, model::ChartType chart_type, int32_t priority) {
      return disk_spec(*disk, std::move(type), std::move(title), std::move(units),
                       std::move(context), chart_type, priority);
    };
    disk->io.def = make_chart(
        spec("disk", "Disk I/O Bandwidth", "KiB/s", "disk.io", model::ChartType::area, 2000),
        update_every_, {dimension("reads"), dimension("writes")});
    disk->ops.def = make_chart(spec("disk_ops", "Disk Completed I/O Operations", "operations/s",
                                    "disk.ops", model::ChartType::line, 2010),
                               update_every_, {dimension("reads"), dimension("writes")});
    disk->util.def = make_chart(spec("disk_util", "Disk Utilization Time", "% of time working",
                                     "disk.util", model::ChartType::area, 2040),
                                update_every_, {dimension("utilization")});
    using model::ChartType;
    auto reads_writes = [] { return std::vector{dimension("reads"), dimension("writes")}; };
    disk->qops.def = make_chart(spec("disk_qops", "Disk Current I/O Operations", "operations",
                                     "disk.qops", ChartType::line, 2015),
                                update_every_, {dimension("operations")});
    disk->backlog.def = make_chart(
        spec("disk_backlog", "Disk Backlog", "milliseconds", "disk.backlog", ChartType::area, 2020),
        update_every_, {dimension("backlog")});
    disk->busy.def = make_chart(
        spec("disk_busy", "Disk Busy Time", "milliseconds", "disk.busy", ChartType::area, 2030),
        update_every_, {dimension("busy")});
    disk->mops.def = make_chart(spec("disk_mops", "Disk Merged Operations", "merged operations/s",
                                     "disk.mops", ChartType::line, 2080),
                                update_every_, reads_writes());
    disk->iotime.def = make_chart(spec("disk_iotime", "Disk Total I/O Time", "milliseconds/s",
                                       "disk.iotime", ChartType::line, 2090),
                                  update_every_, reads_writes());
    disk->await.def =
        make_chart(spec("disk_await", "Average Completed I/O Operation Time",
                        "milliseconds/operation", "disk.await", ChartType::line, 2050),
                   update_every_, reads_writes());
    disk->avgsz.def = make_chart(spec("disk_avgsz", "Average Completed I/O Operation Bandwidth",
                                      "KiB/operation", "disk.avgsz", ChartType::area, 2060),
                                 update_every_, reads_writes());
    disk->svctm.def =
        make_chart(spec("disk_svctm", "Average Service Time", "milliseconds/operation",
                        "disk.svctm", ChartType::line, 2070),
                   update_every_, {dimension("svctm")});
  }
  disks_.push_back(std::move(disk));
  return *disks_.back();
}

ChartSpec ProcDiskstatsCollector::disk_spec(const Disk& disk, std::string type, std::string title,
                                            std::string units, std::string context,
                                            model::ChartType chart_type, int32_t priority) const {
  return ChartSpec{.id = type + "." + disk.chart_id,
                   .title = std::move(title),
                   .units = std::move(units),
                   .family = disk.family,
                   .context = std::move(context),
                   .type = chart_type,
                   .priority = priority,
                   .module = kModule};
}

void ProcDiskstatsCollector::build_extended_charts(Disk& disk, bool flushes) const {
  using model::ChartType;
  auto both = [flushes] {
    std::vector dims{dimension("discards")};
    if (flushes) dims.push_back(dimension("flushes"));
    return dims;
  };
  auto chart = [&](EmittedChart& out, const char* type, const char* title, const char* units,
                   const char* context, ChartType chart_type, int32_t priority,
                   std::vector<model::DimensionDef> dims) {
    out.def = make_chart(disk_spec(disk, type, title, units, context, chart_type, priority),
                         update_every_, std::move(dims));
  };
  chart(disk.ext_io, "disk_ext", "Amount of Discarded Data", "KiB/s", "disk_ext.io",
        ChartType::area, 2001, {dimension("discards")});
  chart(disk.ext_ops, "disk_ext_ops", "Disk Completed Extended I/O Operations", "operations/s",
        "disk_ext.ops", ChartType::line, 2011, both());
  chart(disk.ext_mops, "disk_ext_mops", "Disk Merged Discard Operations", "merged operations/s",
        "disk_ext.mops", ChartType::line, 2081, {dimension("discards")});
  chart(disk.ext_iotime, "disk_ext_iotime", "Disk Total I/O Time for Extended Operations",
        "milliseconds/s", "disk_ext.iotime", ChartType::line, 2091, both());
  chart(disk.ext_await, "disk_ext_await", "Average Completed Extended I/O Operation Time",
        "milliseconds/operation", "disk_ext.await", ChartType::line, 2051, both());
  chart(disk.ext_avgsz, "disk_ext_avgsz", "Average Amount of Discarded Data", "KiB/operation",
        "disk_ext.avgsz", ChartType::area, 2060, {dimension("discards")});
  disk.extended = true;
}

ProcDiskstatsCollector::Bandwidth ProcDiskstatsCollector::emit_disk(Disk& disk, const Counters& c,
                                                                    double elapsed,
                                                                    int64_t timestamp,
                                                                    MetricSink& sink) {
  bool primed = disk.reads.primed();
  double read_kib = disk.read_sectors.update(c.read_sectors, elapsed) * kKibPerSector;
  double write_kib = disk.write_sectors.update(c.write_sectors, elapsed) * kKibPerSector;
  double reads = disk.reads.update(c.reads, elapsed);
  double writes = disk.writes.update(c.writes, elapsed);
  // busy_ms per second / 10 = percent of the time the device had I/O in flight.
  double busy_ms = disk.busy_ms.update(c.busy_ms, elapsed);

  // Writes are drawn below the axis in Netdata (multiplier -1): final values carry the sign.
  if (disk.io.defined || c.read_sectors != 0 || c.write_sectors != 0) {
    disk.io.ensure_defined(sink);
    if (primed) disk.io.submit(sink, timestamp, {read_kib, -write_kib});
  }
  if (disk.ops.defined || c.reads != 0 || c.writes != 0) {
    disk.ops.ensure_defined(sink);
    if (primed) disk.ops.submit(sink, timestamp, {reads, -writes});
  }
  emit_performance(disk, c, {read_kib, write_kib}, reads, writes, busy_ms, elapsed, timestamp,
                   sink);
  emit_extended(disk, c, elapsed, timestamp, sink);
  return primed ? Bandwidth{read_kib, write_kib} : Bandwidth{0, 0};
}

namespace {
// `amount` per operation over the last interval; 0 without operations (as Netdata draws it).
double per_operation(double amount, double operations) {
  return operations == 0 ? 0.0 : amount / operations;
}
}  // namespace

void ProcDiskstatsCollector::emit_performance(Disk& disk, const Counters& c, Bandwidth io,
                                              double reads, double writes, double busy_ms,
                                              double elapsed, int64_t timestamp, MetricSink& sink) {
  bool primed = disk.reads_merged.primed();
  double reads_merged = disk.reads_merged.update(c.reads_merged, elapsed);
  double writes_merged = disk.writes_merged.update(c.writes_merged, elapsed);
  double read_ms = disk.read_ms.update(c.read_ms, elapsed);
  double write_ms = disk.write_ms.update(c.write_ms, elapsed);
  double backlog_ms = disk.backlog_ms.update(c.backlog_ms, elapsed);

  // Each chart appears once its counters are non-zero; primed or not, the gauge is current.
  auto emit = [&](EmittedChart& chart, bool non_zero, bool rate,
                  std::initializer_list<double> values) {
    if (!chart.defined && !non_zero) return;
    chart.ensure_defined(sink);
    if (primed || !rate) chart.submit(sink, timestamp, values);
  };
  emit(disk.qops, c.in_flight != 0, false, {static_cast<double>(c.in_flight)});
  emit(disk.backlog, c.backlog_ms != 0, true, {backlog_ms});
  emit(disk.busy, c.busy_ms != 0, true, {busy_ms});
  emit(disk.util, c.busy_ms != 0, true, {std::min(busy_ms / 10.0, 100.0)});
  emit(disk.mops, c.reads_merged != 0 || c.writes_merged != 0, true,
       {reads_merged, -writes_merged});
  emit(disk.iotime, c.read_ms != 0 || c.write_ms != 0, true, {read_ms, -write_ms});
  // Ratios of two rates over the same interval are ratios of the deltas.
  emit(disk.await, disk.iotime.defined && disk.ops.defined, true,
       {per_operation(read_ms, reads), -per_operation(write_ms, writes)});
  emit(disk.avgsz, disk.io.defined && disk.ops.defined, true,
       {per_operation(io.read_kib, reads), -per_operation(io.write_kib, writes)});
  emit(disk.svctm, disk.util.defined && disk.ops.defined, true,
       {per_operation(busy_ms, reads + writes)});
}

void ProcDiskstatsCollector::emit_extended(Disk& disk, const Counters& c, double elapsed,
                                           int64_t timestamp, MetricSink& sink) {
  if (!c.has_discards) return;
  if (!disk.extended) build_extended_charts(disk, c.has_flushes);
  const bool primed = disk.discards.primed();
  const double discard_kib =
      disk.discard_sectors.update(c.discard_sectors, elapsed) * kKibPerSector;
  const double discards = disk.discards.update(c.discards, elapsed);
  const double discards_merged = disk.discards_merged.update(c.discards_merged, elapsed);
  const double discard_ms = disk.discard_ms.update(c.discard_ms, elapsed);
  const double flushes = disk.flushes.update(c.flushes, elapsed);
  const double flush_ms = disk.flush_ms.update(c.flush_ms, elapsed);
  // One or two dimensions (discards, and flushes where counted): values past the chart's
  // dimensions are dropped.
  auto emit = [&](EmittedChart& chart, bool extends_defined, double discard_value,
                  double flush_value) {
    if (!extends_defined) return;
    chart.ensure_defined(sink);
    if (!primed) return;
    chart.sample.values.assign({discard_value, flush_value});
    chart.sample.values.resize(chart.def.dimensions.size());
    chart.submit_current(sink, timestamp);
  };
  emit(disk.ext_io, disk.io.defined, discard_kib, 0);
  emit(disk.ext_ops, disk.ops.defined, discards, flushes);
  emit(disk.ext_mops, disk.mops.defined, discards_merged, 0);
  emit(disk.ext_iotime, disk.iotime.defined, discard_ms, flush_ms);
  emit(disk.ext_await, disk.iotime.defined && disk.ops.defined, per_operation(discard_ms, discards),
       per_operation(flush_ms, flushes));
  emit(disk.ext_avgsz, disk.io.defined && disk.ops.defined, per_operation(discard_kib, discards),
       0);
}

Status ProcDiskstatsCollector::collect(int64_t now_us, MetricSink& sink) {
  TRIB_ASSIGN_OR_RETURN(std::string_view text, reader_.read(paths_.proc + "/diskstats"));
  double elapsed = elapsed_.advance(now_us);
  int64_t timestamp = timestamp_of(now_us);
  // system.io adds up the disks' rates rather than rating the sum of their counters, so a disk
  // that appears or disappears makes no spike; one disk's counter reset makes a gap.
  Bandwidth system{0, 0};
  bool system_defined_now = false;
  for (auto& disk : disks_) disk->seen = false;

  Tokenizer lines(text);
  while (!lines.done()) {
    Tokenizer words(lines.next_line());
    // major minor name reads reads_merged read_sectors read_ms writes writes_merged
    // write_sectors write_ms in_flight busy_ms weighted_ms [discards discards_merged
    // discard_sectors discard_ms [flushes flush_ms]]
    uint64_t major = 0, minor = 0;
    if (!parse_u64(words.next_word(), major) || !parse_u64(words.next_word(), minor)) continue;
    std::string_view device = words.next_word();
    uint64_t f[11];
    bool complete = !device.empty();
    for (uint64_t& field : f) complete = complete && parse_u64(words.next_word(), field);
    if (!complete) continue;
    Counters c{.reads = f[0],
               .reads_merged = f[1],
               .read_sectors = f[2],
               .read_ms = f[3],
               .writes = f[4],
               .writes_merged = f[5],
               .write_sectors = f[6],
               .write_ms = f[7],
               .in_flight = f[8],
               .busy_ms = f[9],
               .backlog_ms = f[10]};
    uint64_t e[6];
    c.has_discards = parse_u64(words.next_word(), e[0]) && parse_u64(words.next_word(), e[1]) &&
                     parse_u64(words.next_word(), e[2]) && parse_u64(words.next_word(), e[3]);
    c.has_flushes =
        c.has_discards && parse_u64(words.next_word(), e[4]) && parse_u64(words.next_word(), e[5]);
    if (c.has_discards) {
      c.discards = e[0];
      c.discards_merged = e[1];
      c.discard_sectors = e[2];
      c.discard_ms = e[3];
    }
    if (c.has_flushes) {
      c.flushes = e[4];
      c.flush_ms = e[5];
    }

    Disk& disk = find_or_add(device, major, minor);
    disk.seen = true;
    if (disk.kind == DiskKind::excluded || disk.kind == DiskKind::partition) continue;
    Bandwidth rates = emit_disk(disk, c, elapsed, timestamp, sink);
    if (disk.kind == DiskKind::physical) {
      system.read_kib += rates.read_kib;
      system.write_kib += rates.write_kib;
      system_defined_now = system_defined_now || c.read_sectors != 0 || c.write_sectors != 0;
    }
  }
  std::erase_if(disks_, [](const auto& disk) { return !disk->seen; });

  if (system_io_.defined || system_defined_now) {
    system_io_.ensure_defined(sink);
    if (elapsed > 0) system_io_.submit(sink, timestamp, {system.read_kib, -system.write_kib});
  }
  return ok_status();
}

std::unique_ptr<Collector> make_proc_diskstats(const CollectorContext& context) {
  return std::make_unique<ProcDiskstatsCollector>(context);
}

}  // namespace trib::collectors
