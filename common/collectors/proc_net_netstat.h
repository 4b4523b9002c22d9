#pragma once
// proc.net_netstat: /proc/net/netstat (IpExt and TcpExt) as Netdata 1.37 charts it: system.ip
// (IP bandwidth), ip.inerrors, ip.mcast, ip.bcast, ip.mcastpkts, ip.bcastpkts, ip.ecnpkts,
// ip.tcpmemorypressures, ip.tcpconnaborts, ip.tcpreorders, ip.tcpofo, ip.tcpsyncookies,
// ip.tcp_syn_queue, ip.tcp_accept_queue. Each chart appears once one of its counters is non-zero
// (Netdata's "auto").

#include <memory>
#include <string>

#include "common/collectors/chart_util.h"
#include "common/collectors/collector.h"
#include "common/collectors/counter_table.h"
#include "common/collectors/proc_text.h"

namespace trib::collectors {

class ProcNetNetstatCollector final : public CounterTableCollector<HeaderValuePairs> {
 public:
  explicit ProcNetNetstatCollector(const CollectorContext& context);
};

std::unique_ptr<Collector> make_proc_net_netstat(const CollectorContext& context);

}  // namespace trib::collectors
