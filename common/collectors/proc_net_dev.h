#pragma once
// proc.net_dev: /proc/net/dev as Netdata 1.37 charts it by default: net.<iface> (bandwidth),
// net_packets.<iface>, net_errors.<iface>, net_drops.<iface>, net_fifo.<iface>,
// net_compressed.<iface>, net_events.<iface>, and system.net (physical interfaces only); from
// /sys/class/net/<iface>: net_speed.<iface>, net_duplex.<iface>, net_operstate.<iface>,
// net_carrier.<iface> and net_mtu.<iface>.
//
// Rules (Netdata's defaults):
//  - interfaces matching "lo", "fireqos*", "*-ifb", "fwpr*", "fwbr*", "fwln*" are skipped;
//  - an interface is virtual when /sys/devices/virtual/net/<iface> exists; system.net sums the
//    others (physical);
//  - each chart appears once its counters are non-zero ("auto"); an interface that appears
//    later gets its charts then; one that disappears is forgotten;
//  - the /sys/class/net values (speed, duplex, operstate, carrier, mtu) change rarely: they are
//    read every 10 s (not every second) and charted every collection from that cache; a chart
//    appears once its file was read (speed once it is positive), and a file that stops being
//    readable (carrier of an interface set down) gives gaps.

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
  // The 16 counters of a /proc/net/dev line, in the file's order.
  struct Counters {
    uint64_t rbytes = 0, rpackets = 0, rerrors = 0, rdrops = 0, rfifo = 0, rframe = 0,
             rcompressed = 0, rmulticast = 0;
    uint64_t tbytes = 0, tpackets = 0, terrors = 0, tdrops = 0, tfifo = 0, tcollisions = 0,
             tcarrier = 0, tcompressed = 0;
  };
  // The /sys/class/net values last read; NaN where the file could not be read.
  struct SysState {
    double speed_kbits = model::kNoValue;
    double mtu = model::kNoValue;
    int duplex = -1;     // index into the duplex dimensions
    int operstate = -1;  // index into the operstate dimensions
    int carrier = -1;    // 1 up, 0 down
  };
  struct Interface {
    std::string name;
    bool enabled = true;
    bool is_virtual = false;
    bool seen = false;
    EmittedChart bandwidth, packets, errors, drops, fifo, compressed, events;
    EmittedChart speed, duplex, operstate, carrier, mtu;
    CounterRate rbytes, tbytes, rpackets, tpackets, rmulticast;
    CounterRate rerrors, terrors, rdrops, tdrops, rfifo, tfifo, rcompressed, tcompressed;
    CounterRate rframe, tcollisions, tcarrier;
    SysState sys;
    int64_t next_sys_read_us = 0;
  };

  Interface& find_or_add(std::string_view name);
  void read_sys(Interface& iface);
  void emit_counters(Interface& iface, const Counters& c, bool primed, double elapsed,
                     int64_t timestamp, MetricSink& sink);
  void emit_sys(Interface& iface, int64_t timestamp, MetricSink& sink);
  struct Bandwidth {
    double received, sent;  // kilobits per second
  };
  // Emits the interface's charts; returns its bandwidth (0 before it has a rate, NaN on a reset).
  Bandwidth emit_interface(Interface& iface, const Counters& c, double elapsed, int64_t timestamp,
                           MetricSink& sink);

  Paths paths_;
  int32_t update_every_;
  FileReader reader_;
  FileReader sys_reader_{64};
  Elapsed elapsed_;
  std::vector<std::unique_ptr<Interface>> interfaces_;
  EmittedChart system_net_;
};

std::unique_ptr<Collector> make_proc_net_dev(const CollectorContext& context);

}  // namespace trib::collectors
