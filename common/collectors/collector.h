#pragma once
// The collector interface: a collector reads its /proc or /sys sources once per call and emits
// Netdata-compatible charts into a MetricSink. Values are final values in the chart's units
// (rates computed here, Netdata's "incremental" algorithm done agent-side), so every dimension
// is `absolute` with multiplier 1 and divisor 1.
//
// Threading: collectors and sinks live on the agent's collector loop and are used only there.

#include <sys/statvfs.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/base/result.h"
#include "common/collectors/collector_options.h"
#include "common/model/metrics.h"

namespace trib::collectors {

// Roots of the kernel trees; tests point them at fake trees.
struct Paths {
  std::string proc = "/proc";
  std::string sys = "/sys";
};

// Receives what collectors emit. Implemented by the agent core (batches for the sender), by
// LimitedSink (caps) and by test recorders. Used on the collector loop only.
class MetricSink {
 public:
  virtual ~MetricSink() = default;
  // Declares a chart, or redefines it (same id, changed def, e.g. a dimension added).
  virtual void define(const model::ChartDef& def) = 0;
  // One collection of a defined chart: one value per dimension in the def's order.
  virtual void submit(const std::string& chart_id, const model::ChartSample& sample) = 0;
};

// statvfs(2) behind a function so tests can fake filesystem sizes. Returns 0 or -1 like statvfs.
using StatvfsFunction = std::function<int(const char* path, struct statvfs* out)>;

// Everything a collector may need from the agent, fixed at creation.
struct CollectorContext {
  Paths paths;
  std::vector<ProcessMatch> processes;        // watched by the `process` collector
  int self_pid = 0;                           // this binary's own pid (always watched)
  std::string self_name = "tributary-agent";  // its process group's name
  int64_t clock_ticks_per_second = 100;       // sysconf(_SC_CLK_TCK)
  int64_t page_size = 4096;                   // sysconf(_SC_PAGESIZE)
  int32_t update_every = 1;                   // seconds, written into every ChartDef
  StatvfsFunction statvfs = ::statvfs;        // used by `disk_space`
};

// The context for this machine: real /proc and /sys, this process, sysconf values.
// self_name: the running binary's process group ("tributary-agent", "tributary-parent").
CollectorContext host_context(std::string self_name, std::vector<ProcessMatch> processes,
                              int32_t update_every);

class Collector {
 public:
  virtual ~Collector() = default;
  // Reads its sources once and emits. now_us: the collection time (the sample timestamp is
  // now_us/1e6 rounded down). The first call of a rate-based collector only primes its counters
  // and emits nothing for those charts (no spike).
  virtual Status collect(int64_t now_us, MetricSink& sink) = 0;
};

struct CollectorInfo {
  std::string_view name;
  std::string_view description;
  std::unique_ptr<Collector> (*create)(const CollectorContext&);
  // Reads CollectorContext::processes: re-created when agent.yaml's `processes` change.
  bool watches_processes = false;
};

// Every collector the agent knows, one row each (registry.cpp).
std::span<const CollectorInfo> registry();

}  // namespace trib::collectors
