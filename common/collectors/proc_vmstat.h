#pragma once
// proc.vmstat: system.pgpgio and system.swapio from /proc/vmstat (Netdata 1.37).

#include <memory>

#include "common/collectors/chart_util.h"
#include "common/collectors/collector.h"
#include "common/collectors/proc_text.h"

namespace trib::collectors {

class ProcVmstatCollector final : public Collector {
 public:
  explicit ProcVmstatCollector(const CollectorContext& context);
  Status collect(int64_t now_us, MetricSink& sink) override;

 private:
  std::string path_;
  double page_kib_;
  FileReader reader_;
  Elapsed elapsed_;
  EmittedChart pgpgio_, swapio_;
  CounterRate pgpgin_, pgpgout_, pswpin_, pswpout_;
};

std::unique_ptr<Collector> make_proc_vmstat(const CollectorContext& context);

}  // namespace trib::collectors
