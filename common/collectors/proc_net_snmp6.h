#pragma once
// proc.net_snmp6: /proc/net/snmp6 ("Ip6InReceives 418" lines) as Netdata 1.37 charts it:
// system.ipv6 (bandwidth), ipv6.packets, ipv6.ect, ipv6.errors, ipv6.fragsout, ipv6.fragsin,
// ipv6.udppackets, ipv6.udperrors, ipv6.udplitepackets, ipv6.udpliteerrors, ipv6.bcast,
// ipv6.mcast, ipv6.mcastpkts, ipv6.icmp, ipv6.icmpredir, ipv6.icmperrors, ipv6.icmpechos,
// ipv6.groupmemb, ipv6.icmprouter, ipv6.icmpneighbor, ipv6.icmpmldv2, ipv6.icmptypes. Each chart
// appears once one of its counters is non-zero (Netdata's "auto"), so a host without IPv6
// traffic gets none.

#include <memory>
#include <string>

#include "common/collectors/chart_util.h"
#include "common/collectors/collector.h"
#include "common/collectors/counter_table.h"
#include "common/collectors/proc_text.h"

namespace trib::collectors {

class ProcNetSnmp6Collector final : public CounterTableCollector<KeyValueLines> {
 public:
  explicit ProcNetSnmp6Collector(const CollectorContext& context);
};

std::unique_ptr<Collector> make_proc_net_snmp6(const CollectorContext& context);

}  // namespace trib::collectors
