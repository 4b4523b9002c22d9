#pragma once
// proc.stat: /proc/stat as Netdata 1.37's proc plugin charts it: system.cpu and cpu.cpuN
// (percent of CPU time per state), system.intr, system.ctxt, system.forks, system.processes.

#include <array>
#include <memory>
#include <vector>

#include "common/collectors/chart_util.h"
#include "common/collectors/collector.h"
#include "common/collectors/proc_text.h"

namespace trib::collectors {

class ProcStatCollector final : public Collector {
 public:
  explicit ProcStatCollector(const CollectorContext& context);
  Status collect(int64_t now_us, MetricSink& sink) override;

 private:
  // The ten CPU states in Netdata's dimension order.
  static constexpr size_t kStates = 10;
  struct CpuChart {
    EmittedChart chart;
    std::array<uint64_t, kStates> last{};
    bool primed = false;
  };

  void collect_cpu(std::string_view label, Tokenizer& words, int64_t timestamp, MetricSink& sink);
  CpuChart& cpu_chart(std::string_view label);
  void emit_counter(EmittedChart& chart, CounterRate& rate, uint64_t value, double elapsed,
                    int64_t timestamp, MetricSink& sink);

  std::string path_;
  int32_t update_every_;
  FileReader reader_;
  Elapsed elapsed_;
  CpuChart total_;
  std::vector<std::unique_ptr<CpuChart>> cores_;  // index = core number
  EmittedChart intr_, ctxt_, forks_, processes_;
  CounterRate intr_rate_, ctxt_rate_, forks_rate_;
};

std::unique_ptr<Collector> make_proc_stat(const CollectorContext& context);

}  // namespace trib::collectors
