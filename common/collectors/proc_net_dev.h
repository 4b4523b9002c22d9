#pragma once
// proc.net_dev: /proc/net/dev as Netdata 1.37 charts it by default: net.<iface> (bandwidth),
// net_packets.<iface>, and system.net (physical interfaces only).
//
// Rules (Netdata's defaults):
//  - interfaces matching "lo", "fireqos*", "*-ifb", "fwpr*", "fwbr*", "fwln*" are skipped;
//  - an interface is virtual when /sys/devices/virtual/net/<iface> exists; system.net sums the
//    others (physical);
//  - each chart appears once its counters are non-zero ("auto"); an interface that appears
//    later gets its charts then; one that disappears is forgotten.

#include <memory>
#include <string>
#include <vector>

#include "common/collectors/chart_util.h"
#include "common/collectors/collector.h"
#include "common/collectors/proc_text.h"

namespace trib::collectors {

class ProcNetDevCollector final : public Collector {
 public:
  explicit ProcNetDevCollector(const CollectorContext& context);
  Status collect(int64_t now_us, MetricSink& sink) override;

 private:
  struct Counters {
    uint64_t rbytes = 0, rpackets = 0, rmulticast = 0, tbytes = 0, tpackets = 0;
  };
  struct Interface {
    std::string name;
    bool enabled = true;
    bool is_virtual = false;
    bool seen = false;
    EmittedChart bandwidth, packets;
    CounterRate rbytes, tbytes, rpackets, tpackets, rmulticast;
  };

  Interface& find_or_add(std::string_view name);
  struct Bandwidth {
    double received, sent;  // kilobits per second
  };
  // Emits the interface's charts; returns its bandwidth (0 before it has a rate, NaN on a reset).
  Bandwidth emit_interface(Interface& iface, const Counters& c, double elapsed, int64_t timestamp,
                           MetricSink& sink);

  Paths paths_;
  int32_t update_every_;
  FileReader reader_;
  Elapsed elapsed_;
  std::vector<std::unique_ptr<Interface>> interfaces_;
  EmittedChart system_net_;
};

std::unique_ptr<Collector> make_proc_net_dev(const CollectorContext& context);

}  // namespace trib::collectors
