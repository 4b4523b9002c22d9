#pragma once
// proc.pressure: /proc/pressure/{cpu,memory,io} (pressure stall information) as Netdata 1.37
// charts it: system.<resource>_some_pressure and system.<resource>_full_pressure (the kernel's
// 10, 60 and 300 second averages, percentage) and system.<resource>_{some,full}_pressure_stall_time
// (stall time, ms per second, from the `total` counter). A kernel without PSI (no file at
// creation) gets no charts and no errors; a line the file lacks gets no chart.

#include <array>
#include <memory>
#include <string>

#include "common/collectors/chart_util.h"
#include "common/collectors/collector.h"
#include "common/collectors/proc_text.h"

namespace trib::collectors {

class ProcPressureCollector final : public Collector {
 public:
  explicit ProcPressureCollector(const CollectorContext& context);
  Status collect(int64_t now_us, MetricSink& sink) override;

 private:
  struct Kind {  // the "some" or the "full" line of one resource
    EmittedChart share, stall;
    CounterRate total;
  };
  struct Resource {
    std::string path;
    bool present = false;
    FileReader reader{512};
    std::array<Kind, 2> kinds;  // some, full
  };

  void collect_resource(Resource& resource, std::string_view text, double elapsed,
                        int64_t timestamp, MetricSink& sink);

  Elapsed elapsed_;
  std::array<Resource, 3> resources_;  // cpu, memory, io
};

std::unique_ptr<Collector> make_proc_pressure(const CollectorContext& context);

}  // namespace trib::collectors
