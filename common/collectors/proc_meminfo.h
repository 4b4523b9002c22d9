#pragma once
// proc.meminfo: /proc/meminfo as Netdata 1.37 charts it: system.ram, mem.available, system.swap
// (once the host has swap), mem.committed, mem.writeback, mem.kernel, mem.slab, mem.hwcorrupt
// (once ECC found corrupted memory), mem.transparent_hugepages (once in use) and mem.hugepages
// (once huge pages are reserved). Values in MiB.

#include <memory>
#include <string>

#include "common/collectors/chart_util.h"
#include "common/collectors/collector.h"
#include "common/collectors/counter_table.h"
#include "common/collectors/proc_text.h"

namespace trib::collectors {

class ProcMeminfoCollector final : public Collector {
 public:
  explicit ProcMeminfoCollector(const CollectorContext& context);
  Status collect(int64_t now_us, MetricSink& sink) override;

 private:
  // Slots of the values this collector charts itself.
  struct Slots {
    int total, free, available, buffers, cached, slab, swap_total, swap_free;
    int huge_total, huge_free, huge_reserved, huge_surplus, huge_page_size;
  };
  uint64_t kib(int slot) const { return table_.present(slot) ? table_.value(slot) : 0; }
  void emit_ram_and_swap(int64_t timestamp, MetricSink& sink);
  void emit_hugepages(int64_t timestamp, MetricSink& sink);

  std::string path_;
  FileReader reader_;
  CounterTable table_;
  KeyValueLines parser_;
  Slots slots_;
  EmittedChart ram_, available_, swap_, hugepages_;
};

std::unique_ptr<Collector> make_proc_meminfo(const CollectorContext& context);

}  // namespace trib::collectors
