#pragma once
// proc.entropy: system.entropy from /proc/sys/kernel/random/entropy_avail (Netdata 1.37).

#include <memory>

#include "common/collectors/chart_util.h"
#include "common/collectors/collector.h"
#include "common/collectors/proc_text.h"

namespace trib::collectors {

class ProcEntropyCollector final : public Collector {
 public:
  explicit ProcEntropyCollector(const CollectorContext& context);
  Status collect(int64_t now_us, MetricSink& sink) override;

 private:
  std::string path_;
  FileReader reader_;
  EmittedChart entropy_;
};

std::unique_ptr<Collector> make_proc_entropy(const CollectorContext& context);

}  // namespace trib::collectors
