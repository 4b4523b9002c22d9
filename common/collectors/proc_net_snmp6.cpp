#include "common/collectors/proc_net_snmp6.h"

namespace trib::collectors {
namespace {
constexpr const char* kModule = "/proc/net/snmp6";
constexpr double kKilobitsPerByte = 8.0 / 1000.0;

ChartSpec ipv6_chart(std::string id, std::string title, std::string units, std::string family,
                     int32_t priority, model::ChartType type = model::ChartType::line) {
  return proc_chart(kModule, std::move(id), std::move(title), std::move(units), std::move(family),
                    priority, type);
}

// A counter of the flat file, with Netdata's dimension id.
TableDim c(std::string_view key, std::string_view id, double factor = 1) {
  return {.key = key, .id = id, .factor = factor};
}
// Received and sent, sent drawn below the axis. Netdata's dimension ids are the counters'
// names without the file's prefix ("InMsgs" for "Icmp6InMsgs"), named received and sent.
std::vector<TableDim> in_out(std::string_view prefix, std::string_view in, std::string_view out,
                             double factor = 1) {
  return {{.key = in, .id = in.substr(prefix.size()), .name = "received", .factor = factor},
          {.key = out, .id = out.substr(prefix.size()), .name = "sent", .factor = -factor}};
}

std::vector<TableChart> snmp6_charts() {
  constexpr auto kArea = model::ChartType::area;
  return {
      {ipv6_chart("system.ipv6", "IPv6 Bandwidth", "kilobits/s", "network", 502, kArea),
       in_out("Ip6", "Ip6InOctets", "Ip6OutOctets", kKilobitsPerByte)},
      {ipv6_chart("ipv6.packets", "IPv6 Packets", "packets/s", "packets", 6200),
       {{.key = "Ip6InReceives", .id = "InReceives", .name = "received"},
        {.key = "Ip6OutRequests", .id = "OutRequests", .name = "sent", .factor = -1},
        {.key = "Ip6OutForwDatagrams", .id = "OutForwDatagrams", .name = "forwarded", .factor = -1},
        {.key = "Ip6InDelivers", .id = "InDelivers", .name = "delivers"}}},
      {ipv6_chart("ipv6.ect", "IPv6 ECT Packets", "packets/s", "packets", 6210),
       {c("Ip6InNoECTPkts", "InNoECTPkts"), c("Ip6InECT1Pkts", "InECT1Pkts"),
        c("Ip6InECT0Pkts", "InECT0Pkts"), c("Ip6InCEPkts", "InCEPkts")}},
      {ipv6_chart("ipv6.errors", "IPv6 Errors", "packets/s", "errors", 6300),
       {c("Ip6InDiscards", "InDiscards"), c("Ip6OutDiscards", "OutDiscards", -1),
        c("Ip6InHdrErrors", "InHdrErrors"), c("Ip6InAddrErrors", "InAddrErrors"),
        c("Ip6InUnknownProtos", "InUnknownProtos"), c("Ip6InTooBigErrors", "InTooBigErrors"),
        c("Ip6InTruncatedPkts", "InTruncatedPkts"), c("Ip6InNoRoutes", "InNoRoutes"),
        c("Ip6OutNoRoutes", "OutNoRoutes", -1)}},
      {ipv6_chart("ipv6.fragsout", "IPv6 Fragments Sent", "packets/s", "fragments6", 6401),
       {{.key = "Ip6FragOKs", .id = "FragOKs", .name = "ok"},
        {.key = "Ip6FragFails", .id = "FragFails", .name = "failed", .factor = -1},
        {.key = "Ip6FragCreates", .id = "FragCreates", .name = "all"}}},
      {ipv6_chart("ipv6.fragsin", "IPv6 Fragments Reassembly", "packets/s", "fragments6", 6402),
       {{.key = "Ip6ReasmOKs", .id = "ReasmOKs", .name = "ok"},
        {.key = "Ip6ReasmFails", .id = "ReasmFails", .name = "failed", .factor = -1},
        {.key = "Ip6ReasmTimeout", .id = "ReasmTimeout", .name = "timeout", .factor = -1},
        {.key = "Ip6ReasmReqds", .id = "ReasmReqds", .name = "all"}}},
      {ipv6_chart("ipv6.udppackets", "IPv6 UDP Packets", "packets/s", "udp6", 6601),
       in_out("Udp6", "Udp6InDatagrams", "Udp6OutDatagrams")},
      {ipv6_chart("ipv6.udperrors", "IPv6 UDP Errors", "events/s", "udp6", 6610),
       {c("Udp6RcvbufErrors", "RcvbufErrors"), c("Udp6SndbufErrors", "SndbufErrors", -1),
        c("Udp6InErrors", "InErrors"), c("Udp6NoPorts", "NoPorts"),
        c("Udp6InCsumErrors", "InCsumErrors"), c("Udp6IgnoredMulti", "IgnoredMulti")}},
      {ipv6_chart("ipv6.udplitepackets", "IPv6 UDPlite Packets", "packets/s", "udplite6", 6701),
       in_out("UdpLite6", "UdpLite6InDatagrams", "UdpLite6OutDatagrams")},
      {ipv6_chart("ipv6.udpliteerrors", "IPv6 UDP Lite Errors", "events/s", "udplite6", 6710),
       {c("UdpLite6RcvbufErrors", "RcvbufErrors"), c("UdpLite6SndbufErrors", "SndbufErrors", -1),
        c("UdpLite6InErrors", "InErrors"), c("UdpLite6NoPorts", "NoPorts"),
        c("UdpLite6InCsumErrors", "InCsumErrors")}},
      {ipv6_chart("ipv6.bcast", "IPv6 Broadcast Bandwidth", "kilobits/s", "broadcast6", 6840,
                  kArea),
       in_out("Ip6", "Ip6InBcastOctets", "Ip6OutBcastOctets", kKilobitsPerByte)},
      {ipv6_chart("ipv6.mcast", "IPv6 Multicast Bandwidth", "kilobits/s", "multicast6", 6850,
                  kArea),
       in_out("Ip6", "Ip6InMcastOctets", "Ip6OutMcastOctets", kKilobitsPerByte)},
      {ipv6_chart("ipv6.mcastpkts", "IPv6 Multicast Packets", "packets/s", "multicast6", 6851),
       in_out("Ip6", "Ip6InMcastPkts", "Ip6OutMcastPkts")},
      {ipv6_chart("ipv6.icmp", "IPv6 ICMP Messages", "messages/s", "icmp6", 6900),
       in_out("Icmp6", "Icmp6InMsgs", "Icmp6OutMsgs")},
      {ipv6_chart("ipv6.icmpredir", "IPv6 ICMP Redirects", "redirects/s", "icmp6", 6910),
       in_out("Icmp6", "Icmp6InRedirects", "Icmp6OutRedirects")},
      {ipv6_chart("ipv6.icmperrors", "IPv6 ICMP Errors", "errors/s", "icmp6", 6920),
       {c("Icmp6InErrors", "InErrors"), c("Icmp6OutErrors", "OutErrors", -1),
        c("Icmp6InCsumErrors", "InCsumErrors"), c("Icmp6InDestUnreachs", "InDestUnreachs"),
        c("Icmp6InPktTooBigs", "InPktTooBigs"), c("Icmp6InTimeExcds", "InTimeExcds"),
        c("Icmp6InParmProblems", "InParmProblems"),
        c("Icmp6OutDestUnreachs", "OutDestUnreachs", -1),
        c("Icmp6OutPktTooBigs", "OutPktTooBigs", -1), c("Icmp6OutTimeExcds", "OutTimeExcds", -1),
        c("Icmp6OutParmProblems", "OutParmProblems", -1)}},
      {ipv6_chart("ipv6.icmpechos", "IPv6 ICMP Echo", "messages/s", "icmp6", 6930),
       {c("Icmp6InEchos", "InEchos"), c("Icmp6OutEchos", "OutEchos", -1),
        c("Icmp6InEchoReplies", "InEchoReplies"), c("Icmp6OutEchoReplies", "OutEchoReplies", -1)}},
      {ipv6_chart("ipv6.groupmemb", "IPv6 ICMP Group Membership", "messages/s", "icmp6", 6940),
       {c("Icmp6InGroupMembQueries", "InQueries"), c("Icmp6OutGroupMembQueries", "OutQueries", -1),
        c("Icmp6InGroupMembResponses", "InResponses"),
        c("Icmp6OutGroupMembResponses", "OutResponses", -1),
        c("Icmp6InGroupMembReductions", "InReductions"),
        c("Icmp6OutGroupMembReductions", "OutReductions", -1)}},
      {ipv6_chart("ipv6.icmprouter", "IPv6 Router Messages", "messages/s", "icmp6", 6950),
       {c("Icmp6InRouterSolicits", "InSolicits"), c("Icmp6OutRouterSolicits", "OutSolicits", -1),
        c("Icmp6InRouterAdvertisements", "InAdvertisements"),
        c("Icmp6OutRouterAdvertisements", "OutAdvertisements", -1)}},
      {ipv6_chart("ipv6.icmpneighbor", "IPv6 Neighbor Messages", "messages/s", "icmp6", 6960),
       {c("Icmp6InNeighborSolicits", "InSolicits"),
        c("Icmp6OutNeighborSolicits", "OutSolicits", -1),
        c("Icmp6InNeighborAdvertisements", "InAdvertisements"),
        c("Icmp6OutNeighborAdvertisements", "OutAdvertisements", -1)}},
      {ipv6_chart("ipv6.icmpmldv2", "IPv6 ICMP MLDv2 Reports", "reports/s", "icmp6", 6970),
       in_out("Icmp6", "Icmp6InMLDv2Reports", "Icmp6OutMLDv2Reports")},
      {ipv6_chart("ipv6.icmptypes", "IPv6 ICMP Types", "messages/s", "icmp6", 6980),
       {c("Icmp6InType1", "InType1"), c("Icmp6InType128", "InType128"),
        c("Icmp6InType129", "InType129"), c("Icmp6InType136", "InType136"),
        c("Icmp6OutType1", "OutType1", -1), c("Icmp6OutType128", "OutType128", -1),
        c("Icmp6OutType129", "OutType129", -1), c("Icmp6OutType133", "OutType133", -1),
        c("Icmp6OutType135", "OutType135", -1), c("Icmp6OutType143", "OutType143", -1)}},
  };
}
}  // namespace

ProcNetSnmp6Collector::ProcNetSnmp6Collector(const CollectorContext& context)
    : CounterTableCollector(context.paths.proc + "/net/snmp6", 8192,  // about 4 KiB
                            snmp6_charts(), context.update_every) {}

std::unique_ptr<Collector> make_proc_net_snmp6(const CollectorContext& context) {
  return std::make_unique<ProcNetSnmp6Collector>(context);
}

}  // namespace trib::collectors
