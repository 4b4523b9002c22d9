#pragma once
// proc.net_sockstat: /proc/net/sockstat as Netdata 1.37 charts it: ipv4.sockstat_sockets,
// ipv4.sockstat_tcp_sockets, ipv4.sockstat_tcp_mem, ipv4.sockstat_udp_sockets,
// ipv4.sockstat_udp_mem, ipv4.sockstat_udplite_sockets, ipv4.sockstat_raw_sockets,
// ipv4.sockstat_frag_sockets, ipv4.sockstat_frag_mem (gauges; memory in KiB from pages or bytes).
// Each chart appears once one of its values is non-zero (Netdata's "auto").

#include <memory>
#include <string>

#include "common/collectors/chart_util.h"
#include "common/collectors/collector.h"
#include "common/collectors/counter_table.h"
#include "common/collectors/proc_text.h"

namespace trib::collectors {

class ProcNetSockstatCollector final : public CounterTableCollector<NameValueLines> {
 public:
  explicit ProcNetSockstatCollector(const CollectorContext& context);
};

std::unique_ptr<Collector> make_proc_net_sockstat(const CollectorContext& context);

}  // namespace trib::collectors
