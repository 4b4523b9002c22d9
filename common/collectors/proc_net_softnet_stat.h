#pragma once
// proc.net_softnet_stat: /proc/net/softnet_stat as Netdata 1.37 charts it: system.softnet_stat
// and cpu.cpuN_softnet_stat (one per row, N the row number as in Netdata), dimensions processed,
// dropped, squeezed, received_rps and flow_limit_count (columns 0, 1, 2, 9 and 10, those the
// kernel has). Values are hexadecimal 32-bit counters: a wrap is a gap. The system chart adds
// up the rows' rates, so a CPU going offline changes nothing by itself.

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "common/collectors/chart_util.h"
#include "common/collectors/collector.h"
#include "common/collectors/proc_text.h"

namespace trib::collectors {

class ProcNetSoftnetStatCollector final : public Collector {
 public:
  explicit ProcNetSoftnetStatCollector(const CollectorContext& context);
  Status collect(int64_t now_us, MetricSink& sink) override;

 private:
  static constexpr size_t kColumns = 5;  // charted columns
  struct Row {
    EmittedChart chart;
    std::array<CounterRate, kColumns> rates;
    bool primed = false;  // read before: its rates are submitted
  };

  Row& row(size_t index);

  std::string path_;
  int32_t update_every_;
  FileReader reader_;
  Elapsed elapsed_;
  size_t dimensions_ =
      0;  // how many of the charted columns the kernel has; 0 before the first read
  std::vector<std::unique_ptr<Row>> rows_;
  EmittedChart system_;
};

std::unique_ptr<Collector> make_proc_net_softnet_stat(const CollectorContext& context);

}  // namespace trib::collectors
