#pragma once
// sys.block_zram: compressed RAM block devices as Netdata 1.37 charts them, per device `<dev>`:
// mem.zram_usage.<dev> (compressed, metadata, MiB), mem.zram_savings.<dev> (savings drawn
// negative, original, MiB), mem.zram_ratio.<dev> (original to compressed) and
// mem.zram_efficiency.<dev> (compressed data in the memory used, %), gauges from
// /sys/block/<dev>/mm_stat.
//
// Devices are found once, at the first collection, as Netdata finds them: the block devices
// whose major number is the one /proc/devices gives `zram` (Netdata looks in /dev; this
// collector reads /sys/block/<dev>/dev). Without the zram driver it charts nothing. A device
// whose mm_stat can no longer be read is dropped. Netdata's integer arithmetic is kept, so the
// values are the ones Netdata stores (the ratio in hundredths, the efficiency in ten-thousandths).

#include <memory>
#include <string>
#include <vector>

#include "common/collectors/chart_util.h"
#include "common/collectors/collector.h"
#include "common/collectors/proc_text.h"

namespace trib::collectors {

class SysBlockZramCollector final : public Collector {
 public:
  explicit SysBlockZramCollector(const CollectorContext& context);
  Status collect(int64_t now_us, MetricSink& sink) override;

 private:
  struct Device {
    std::string name;
    KeptFile mm_stat;
    EmittedChart usage, savings, ratio, efficiency;
  };
  void discover();
  // Reads and charts one device; false when its mm_stat is gone or malformed.
  bool collect_device(Device& device, int64_t timestamp, MetricSink& sink);

  Paths paths_;
  int32_t update_every_;
  FileReader reader_;
  bool discovered_ = false;
  std::vector<std::unique_ptr<Device>> devices_;
};

std::unique_ptr<Collector> make_sys_block_zram(const CollectorContext& context);

}  // namespace trib::collectors
