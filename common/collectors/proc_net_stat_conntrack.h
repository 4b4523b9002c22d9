#pragma once
// proc.net_stat_conntrack: /proc/net/stat/nf_conntrack as Netdata 1.37 charts it:
// netfilter.conntrack_sockets (the table's entries), netfilter.conntrack_new, _changes, _expect,
// _search and _errors (rates of the per-CPU counters, summed). Every chart is shown from the
// first read, zeros included, as Netdata does when the file exists; without it (no conntrack
// module loaded when the collector starts) the collector charts nothing, as Netdata's.
//
// The file is a header line and one line of 17 hexadecimal counters per CPU. Netdata reads the
// columns by position, in the order of the kernels it was written for (entries searched found
// new invalid ignore delete delete_list insert insert_failed drop early_drop icmp_error
// expect_new expect_create expect_delete search_restart); later kernels renamed two of them
// (clashres, chainlength) and Netdata charts them under the old names: so does this collector.

#include <array>
#include <memory>
#include <string>

#include "common/collectors/chart_util.h"
#include "common/collectors/collector.h"
#include "common/collectors/counter_table.h"
#include "common/collectors/proc_text.h"

namespace trib::collectors {

class ProcNetStatConntrackCollector final : public Collector {
 public:
  static constexpr size_t kColumns = 17;

  explicit ProcNetStatConntrackCollector(const CollectorContext& context);
  Status collect(int64_t now_us, MetricSink& sink) override;

 private:
  std::string path_;
  FileReader reader_;
  Elapsed elapsed_;
  CounterTable table_;
  std::array<int, kColumns> slots_{};  // table slot of each column
  bool present_ = false;
};

std::unique_ptr<Collector> make_proc_net_stat_conntrack(const CollectorContext& context);

}  // namespace trib::collectors
