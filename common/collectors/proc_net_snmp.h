#pragma once
// proc.net_snmp: /proc/net/snmp as Netdata 1.37 charts it: ipv4.packets, ipv4.fragsout,
// ipv4.fragsin, ipv4.errors, ipv4.icmp, ipv4.icmp_errors, ipv4.icmpmsg, ipv4.tcpsock,
// ipv4.tcppackets, ipv4.tcperrors, ipv4.tcpopens, ipv4.tcphandshake, ipv4.udppackets,
// ipv4.udperrors, ipv4.udplite, ipv4.udplite_errors. Each chart appears once one of its counters
// is non-zero (icmp with icmp_errors, udplite with udplite_errors), as Netdata's "auto" does.
//
// Netdata 1.37 adds TcpExt's TCPSynRetrans (from /proc/net/netstat) to ipv4.tcphandshake; this
// collector reads one file, so that chart has the three /proc/net/snmp dimensions.

#include <memory>
#include <string>

#include "common/collectors/chart_util.h"
#include "common/collectors/collector.h"
#include "common/collectors/counter_table.h"
#include "common/collectors/proc_text.h"

namespace trib::collectors {

class ProcNetSnmpCollector final : public CounterTableCollector<HeaderValuePairs> {
 public:
  explicit ProcNetSnmpCollector(const CollectorContext& context);
};

std::unique_ptr<Collector> make_proc_net_snmp(const CollectorContext& context);

}  // namespace trib::collectors
