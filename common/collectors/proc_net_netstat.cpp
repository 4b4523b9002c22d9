#include "common/collectors/proc_net_netstat.h"

namespace trib::collectors {
namespace {
constexpr const char* kModule = "/proc/net/netstat";
constexpr double kKilobitsPerByte = 8.0 / 1000.0;

ChartSpec chart(std::string id, std::string title, std::string units, std::string family,
                int32_t priority, model::ChartType type = model::ChartType::line) {
  return proc_chart(kModule, std::move(id), std::move(title), std::move(units), std::move(family),
                    priority, type);
}

TableDim ip(std::string_view key, std::string_view name, double factor = 1) {
  return {.section = "IpExt", .key = key, .id = key, .name = name, .factor = factor};
}
TableDim tcp(std::string_view key, std::string_view name, double factor = 1) {
  return {.section = "TcpExt", .key = key, .id = key, .name = name, .factor = factor};
}

std::vector<TableChart> netstat_charts() {
  constexpr auto kArea = model::ChartType::area;
  return {
      {chart("system.ip", "IP Bandwidth", "kilobits/s", "network", 501, kArea),
       {ip("InOctets", "received", kKilobitsPerByte), ip("OutOctets", "sent", -kKilobitsPerByte)}},
      {chart("ip.inerrors", "IP Input Errors", "packets/s", "errors", 4100),
       {ip("InNoRoutes", "noroutes"), ip("InTruncatedPkts", "truncated"),
        ip("InCsumErrors", "checksum")}},
      {chart("ip.mcast", "IP Multicast Bandwidth", "kilobits/s", "multicast", 4600, kArea),
       {ip("InMcastOctets", "received", kKilobitsPerByte),
        ip("OutMcastOctets", "sent", -kKilobitsPerByte)}},
      {chart("ip.bcast", "IP Broadcast Bandwidth", "kilobits/s", "broadcast", 4500, kArea),
       {ip("InBcastOctets", "received", kKilobitsPerByte),
        ip("OutBcastOctets", "sent", -kKilobitsPerByte)}},
      {chart("ip.mcastpkts", "IP Multicast Packets", "packets/s", "multicast", 4610),
       {ip("InMcastPkts", "received"), ip("OutMcastPkts", "sent", -1)}},
      {chart("ip.bcastpkts", "IP Broadcast Packets", "packets/s", "broadcast", 4510),
       {ip("InBcastPkts", "received"), ip("OutBcastPkts", "sent", -1)}},
      {chart("ip.ecnpkts", "IP ECN Statistics", "packets/s", "ecn", 4700),
       {ip("InCEPkts", "CEP"), ip("InNoECTPkts", "NoECTP", -1), ip("InECT0Pkts", "ECTP0"),
        ip("InECT1Pkts", "ECTP1")}},
      {chart("ip.tcpmemorypressures", "TCP Memory Pressures", "events/s", "tcp", 4290),
       {tcp("TCPMemoryPressures", "pressures")}},
      {chart("ip.tcpconnaborts", "TCP Connection Aborts", "connections/s", "tcp", 4210),
       {tcp("TCPAbortOnData", "baddata"), tcp("TCPAbortOnClose", "userclosed"),
        tcp("TCPAbortOnMemory", "nomemory"), tcp("TCPAbortOnTimeout", "timeout"),
        tcp("TCPAbortOnLinger", "linger"), tcp("TCPAbortFailed", "failed", -1)}},
      {chart("ip.tcpreorders", "TCP Reordered Packets by Detection Method", "packets/s", "tcp",
             4220),
       {tcp("TCPTSReorder", "timestamp"), tcp("TCPSACKReorder", "sack"),
        tcp("TCPFACKReorder", "fack"), tcp("TCPRenoReorder", "reno")}},
      {chart("ip.tcpofo", "TCP Out-Of-Order Queue", "packets/s", "tcp", 4250),
       {tcp("TCPOFOQueue", "inqueue"), tcp("TCPOFODrop", "dropped", -1),
        tcp("TCPOFOMerge", "merged"), tcp("OfoPruned", "pruned", -1)}},
      {chart("ip.tcpsyncookies", "TCP SYN Cookies", "packets/s", "tcp", 4260),
       {tcp("SyncookiesRecv", "received"), tcp("SyncookiesSent", "sent", -1),
        tcp("SyncookiesFailed", "failed", -1)}},
      {chart("ip.tcp_syn_queue", "TCP SYN Queue Issues", "packets/s", "tcp", 4215),
       {tcp("TCPReqQFullDrop", "drops"), tcp("TCPReqQFullDoCookies", "cookies")}},
      {chart("ip.tcp_accept_queue", "TCP Accept Queue Issues", "packets/s", "tcp", 4216),
       {tcp("ListenOverflows", "overflows"), tcp("ListenDrops", "drops")}},
  };
}
}  // namespace

ProcNetNetstatCollector::ProcNetNetstatCollector(const CollectorContext& context)
    : CounterTableCollector(context.paths.proc + "/net/netstat", 8192,  // TcpExt alone: 3 KiB
                            netstat_charts(), context.update_every) {}

std::unique_ptr<Collector> make_proc_net_netstat(const CollectorContext& context) {
  return std::make_unique<ProcNetNetstatCollector>(context);
}

}  // namespace trib::collectors
