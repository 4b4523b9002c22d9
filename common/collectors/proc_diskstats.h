#pragma once
// proc.diskstats: /proc/diskstats as Netdata 1.37 charts it by default: system.io (physical
// disks), and per disk disk.<dev> (bandwidth), disk_ops.<dev>, disk_qops.<dev>,
// disk_backlog.<dev>, disk_busy.<dev>, disk_util.<dev>, disk_mops.<dev>, disk_iotime.<dev>,
// disk_await.<dev>, disk_avgsz.<dev> and disk_svctm.<dev>; where the kernel counts discards
// (4.18+) also disk_ext.<dev> (discarded KiB/s), disk_ext_ops.<dev>, disk_ext_mops.<dev>,
// disk_ext_iotime.<dev>, disk_ext_await.<dev> and disk_ext_avgsz.<dev>, with a `flushes`
// dimension beside `discards` where it counts flushes too (5.5+).
//
// Which devices get charts (Netdata's defaults):
//  - names matching "loop*" or "ram*" are excluded;
//  - partitions (/sys/dev/block/<major>:<minor>/partition exists) get no charts;
//  - every other device (physical, virtual such as dm-*, md*, zram*, or unknown) gets each
//    chart once its counters for that chart are non-zero ("auto"), so idle devices add nothing;
//    the per-operation averages (await, avgsz, svctm) once the charts they derive from exist;
//    each disk_ext chart with the chart it extends (disk_ext with disk, disk_ext_ops with
//    disk_ops, ...), as Netdata ties them;
//  - system.io sums physical disks only: /sys/block/<dev> exists and the device is neither a
//    partition nor virtual (/sys/devices/virtual/block/<dev> exists, or it has slaves).
// A disk that appears later gets its charts then; one that disappears is forgotten.

#include <memory>
#include <string>
#include <vector>

#include "common/collectors/chart_util.h"
#include "common/collectors/collector.h"
#include "common/collectors/proc_text.h"

namespace trib::collectors {

class ProcDiskstatsCollector final : public Collector {
 public:
  explicit ProcDiskstatsCollector(const CollectorContext& context);
  Status collect(int64_t now_us, MetricSink& sink) override;

 private:
  enum class DiskKind { excluded, partition, physical, virtual_disk, unknown };
  struct Counters {
    uint64_t reads = 0, reads_merged = 0, read_sectors = 0, read_ms = 0;
    uint64_t writes = 0, writes_merged = 0, write_sectors = 0, write_ms = 0;
    uint64_t in_flight = 0, busy_ms = 0, backlog_ms = 0;
    bool has_discards = false, has_flushes = false;  // the line has those fields
    uint64_t discards = 0, discards_merged = 0, discard_sectors = 0, discard_ms = 0;
    uint64_t flushes = 0, flush_ms = 0;
  };
  struct Disk {
    std::string device;
    uint64_t major = 0, minor = 0;
    DiskKind kind = DiskKind::unknown;
    bool seen = false;
    EmittedChart io, ops, qops, backlog, busy, util, mops, iotime, await, avgsz, svctm;
    CounterRate read_sectors, write_sectors, reads, writes, busy_ms;
    CounterRate reads_merged, writes_merged, read_ms, write_ms, backlog_ms;
    std::string chart_id;  // the device name as a chart id suffix
    std::string family;    // the mount point, or the device name
    // Discards and flushes: built when the first line with discard fields is read.
    bool extended = false;
    EmittedChart ext_io, ext_ops, ext_mops, ext_iotime, ext_await, ext_avgsz;
    CounterRate discards, discards_merged, discard_sectors, discard_ms, flushes, flush_ms;
  };

  Disk& find_or_add(std::string_view device, uint64_t major, uint64_t minor);
  DiskKind classify(const std::string& device, uint64_t major, uint64_t minor) const;
  std::string mount_point_of(const std::string& device, uint64_t major, uint64_t minor);
  ChartSpec disk_spec(const Disk& disk, std::string type, std::string title, std::string units,
                      std::string context, model::ChartType chart_type, int32_t priority) const;
  void build_extended_charts(Disk& disk, bool flushes) const;
  struct Bandwidth {
    double read_kib, write_kib;  // per second
  };
  // Emits the disk's charts; returns its bandwidth (0 before it has a rate, NaN on a reset).
  Bandwidth emit_disk(Disk& disk, const Counters& c, double elapsed, int64_t timestamp,
                      MetricSink& sink);
  // The performance charts (queue, backlog, busy time, merges, I/O time and per-operation
  // averages); `io` and `ops` are this read's rates.
  void emit_performance(Disk& disk, const Counters& c, Bandwidth io, double reads, double writes,
                        double busy_ms, double elapsed, int64_t timestamp, MetricSink& sink);
  // The disk_ext charts, once the charts they extend exist.
  void emit_extended(Disk& disk, const Counters& c, double elapsed, int64_t timestamp,
                     MetricSink& sink);

  Paths paths_;
  int32_t update_every_;
  FileReader reader_;
  FileReader mountinfo_reader_;
  Elapsed elapsed_;
  std::vector<std::unique_ptr<Disk>> disks_;
  EmittedChart system_io_;
};

std::unique_ptr<Collector> make_proc_diskstats(const CollectorContext& context);

}  // namespace trib::collectors
