#pragma once
// The engine shared by proc.interrupts and proc.softirqs: a kernel table with one column per CPU
// ("CPU0 CPU1 ..." header, then "<id>: <count per cpu> [description]" lines) charted as Netdata
// 1.37 does: one system chart with a dimension per line (the sum over CPUs) and one chart per
// core with a dimension per line.
//
// Netdata's rules kept here:
//  - a line gets its dimension once its count is non-zero (system chart: the sum; core chart:
//    that core's count), a core gets its chart once it has a dimension ("auto");
//  - dimension ids are the line ids ("24", "LOC", "NET_RX"); with `name_with_device`, numbered
//    lines are named "<last word>_<id>" ("virtio0-input.0_29"), the others keep their id;
//  - lines are matched by id, so a line added or removed between two reads moves nothing;
//    a dimension whose line disappeared gets gaps (charts only grow).
//
// Cheap: each line's position is remembered, so a round with the same lines as the previous one
// does one string comparison per line and no lookups; values are parsed in place.

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/collectors/chart_util.h"
#include "common/collectors/collector.h"
#include "common/collectors/proc_text.h"

namespace trib::collectors {

struct CpuTableSpec {
  ChartSpec system;            // the system chart; its dimensions are added as lines appear
  std::string core_id_suffix;  // "_interrupts": cpu.cpu0_interrupts
  std::string core_title;
  std::string core_family;
  std::string core_context;
  int32_t core_priority = 0;  // + core number
  bool name_with_device = false;
};

class CpuTable {
 public:
  CpuTable(CpuTableSpec spec, int32_t update_every);
  // Parses one read of the file and emits. `elapsed`: seconds since the previous read (0 on the
  // first one, which only primes the counters). False when the header has no CPU column.
  bool collect(std::string_view text, double elapsed, int64_t timestamp, MetricSink& sink);

 private:
  struct Line {
    std::string id;
    std::string name;
    CounterRate total_rate;
    std::vector<CounterRate> cpu_rates;  // by CPU number
    std::vector<int> core_dim;           // by CPU number; -1: no dimension yet
    int system_dim = -1;
    double total_per_second = model::kNoValue;
    bool seen = false;
  };
  struct Core {
    EmittedChart chart;
  };

  bool parse_header(std::string_view header);
  Line& line_at(size_t position, std::string_view id, std::string_view rest);
  void update_line(Line& line, std::string_view values, double elapsed);
  Core& core(int cpu);
  static void add_dimension(EmittedChart& chart, const Line& line, int& index);

  CpuTableSpec spec_;
  int32_t update_every_;
  std::string header_;
  std::vector<int> column_cpu_;  // CPU number of each column
  std::vector<std::unique_ptr<Line>> lines_;
  std::vector<Line*> order_;  // the lines in the order of the last read
  std::unordered_map<std::string, Line*> by_id_;
  std::vector<std::unique_ptr<Core>> cores_;  // by CPU number
  EmittedChart system_;
};

// The collector of one per-CPU table file (/proc/interrupts, /proc/softirqs): reads it, and
// the table charts it after `spec`.
class CpuTableCollector final : public Collector {
 public:
  CpuTableCollector(std::string path, CpuTableSpec spec, int32_t update_every,
                    size_t read_capacity = 4096);
  Status collect(int64_t now_us, MetricSink& sink) override;

 private:
  std::string path_;
  FileReader reader_;
  Elapsed elapsed_;
  CpuTable table_;
};

}  // namespace trib::collectors
