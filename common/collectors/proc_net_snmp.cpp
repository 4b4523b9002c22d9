#include "common/collectors/proc_net_snmp.h"

namespace trib::collectors {
namespace {
constexpr const char* kModule = "/proc/net/snmp";
constexpr int kIcmpGroup = 1;
constexpr int kUdpliteGroup = 2;

ChartSpec ipv4_chart(std::string name, std::string title, std::string units, std::string family,
                     int32_t priority) {
  std::string id = "ipv4." + name;
  return {.id = id,
          .title = std::move(title),
          .units = std::move(units),
          .family = std::move(family),
          .context = id,
          .priority = priority,
          .module = kModule};
}

// A counter whose dimension id is its kernel name.
TableDim counter(std::string_view section, std::string_view key, double factor = 1) {
  return {.section = section, .key = key, .id = key, .factor = factor};
}
TableDim named(std::string_view section, std::string_view key, std::string_view name,
               double factor = 1) {
  return {.section = section, .key = key, .id = key, .name = name, .factor = factor};
}

std::vector<TableDim> icmpmsg_dims() {
  // IcmpMsg counts by ICMP type; Netdata names them after the messages.
  struct Type {
    std::string_view in, out, in_name, out_name;
  };
  static constexpr Type kTypes[] = {
      {"InType0", "OutType0", "InEchoReps", "OutEchoReps"},
      {"InType3", "OutType3", "InDestUnreachs", "OutDestUnreachs"},
      {"InType5", "OutType5", "InRedirects", "OutRedirects"},
      {"InType8", "OutType8", "InEchos", "OutEchos"},
      {"InType9", "OutType9", "InRouterAdvert", "OutRouterAdvert"},
      {"InType10", "OutType10", "InRouterSelect", "OutRouterSelect"},
      {"InType11", "OutType11", "InTimeExcds", "OutTimeExcds"},
      {"InType12", "OutType12", "InParmProbs", "OutParmProbs"},
      {"InType13", "OutType13", "InTimestamps", "OutTimestamps"},
      {"InType14", "OutType14", "InTimestampReps", "OutTimestampReps"},
  };
  std::vector<TableDim> dims;
  for (const Type& type : kTypes) {
    dims.push_back(named("IcmpMsg", type.in, type.in_name));
    dims.push_back(named("IcmpMsg", type.out, type.out_name, -1));
  }
  return dims;
}

std::vector<TableChart> snmp_charts() {
  return {
      {ipv4_chart("packets", "IPv4 Packets", "packets/s", "packets", 5130),
       {named("Ip", "InReceives", "received"), named("Ip", "OutRequests", "sent", -1),
        named("Ip", "ForwDatagrams", "forwarded"), named("Ip", "InDelivers", "delivered")}},
      {ipv4_chart("fragsout", "IPv4 Fragments Sent", "packets/s", "fragments", 5460),
       {named("Ip", "FragOKs", "ok"), named("Ip", "FragFails", "failed", -1),
        named("Ip", "FragCreates", "created")}},
      {ipv4_chart("fragsin", "IPv4 Fragments Reassembly", "packets/s", "fragments", 5461),
       {named("Ip", "ReasmOKs", "ok"), named("Ip", "ReasmFails", "failed", -1),
        named("Ip", "ReasmReqds", "all")}},
      {ipv4_chart("errors", "IPv4 Errors", "packets/s", "errors", 5150),
       {counter("Ip", "InDiscards"), counter("Ip", "OutDiscards", -1), counter("Ip", "InHdrErrors"),
        counter("Ip", "OutNoRoutes", -1), counter("Ip", "InAddrErrors"),
        counter("Ip", "InUnknownProtos")}},
      {ipv4_chart("icmp", "IPv4 ICMP Packets", "packets/s", "icmp", 5170),
       {named("Icmp", "InMsgs", "received"), named("Icmp", "OutMsgs", "sent", -1)},
       kIcmpGroup},
      {ipv4_chart("icmp_errors", "IPv4 ICMP Errors", "packets/s", "icmp", 5171),
       {counter("Icmp", "InErrors"), counter("Icmp", "OutErrors", -1),
        counter("Icmp", "InCsumErrors")},
       kIcmpGroup},
      {ipv4_chart("icmpmsg", "IPv4 ICMP Messages", "packets/s", "icmp", 5172), icmpmsg_dims()},
      {ipv4_chart("tcpsock", "IPv4 TCP Connections", "active connections", "tcp", 5200),
       {{.section = "Tcp",
         .key = "CurrEstab",
         .id = "CurrEstab",
         .name = "connections",
         .incremental = false}}},
      {ipv4_chart("tcppackets", "IPv4 TCP Packets", "packets/s", "tcp", 5204),
       {named("Tcp", "InSegs", "received"), named("Tcp", "OutSegs", "sent", -1)}},
      {ipv4_chart("tcperrors", "IPv4 TCP Errors", "packets/s", "tcp", 5220),
       {counter("Tcp", "InErrs"), counter("Tcp", "InCsumErrors"),
        counter("Tcp", "RetransSegs", -1)}},
      {ipv4_chart("tcpopens", "IPv4 TCP Opens", "connections/s", "tcp", 5205),
       {named("Tcp", "ActiveOpens", "active"), named("Tcp", "PassiveOpens", "passive")}},
      {ipv4_chart("tcphandshake", "IPv4 TCP Handshake Issues", "events/s", "tcp", 5230),
       {counter("Tcp", "EstabResets"), counter("Tcp", "OutRsts"), counter("Tcp", "AttemptFails")}},
      {ipv4_chart("udppackets", "IPv4 UDP Packets", "packets/s", "udp", 5300),
       {named("Udp", "InDatagrams", "received"), named("Udp", "OutDatagrams", "sent", -1)}},
      {ipv4_chart("udperrors", "IPv4 UDP Errors", "events/s", "udp", 5310),
       {counter("Udp", "RcvbufErrors"), counter("Udp", "SndbufErrors"), counter("Udp", "InErrors"),
        counter("Udp", "NoPorts"), counter("Udp", "InCsumErrors"), counter("Udp", "IgnoredMulti")}},
      {ipv4_chart("udplite", "IPv4 UDPLite Packets", "packets/s", "udplite", 5400),
       {named("UdpLite", "InDatagrams", "received"), named("UdpLite", "OutDatagrams", "sent", -1)},
       kUdpliteGroup},
      {ipv4_chart("udplite_errors", "IPv4 UDPLite Errors", "packets/s", "udplite", 5410),
       {counter("UdpLite", "RcvbufErrors"), counter("UdpLite", "SndbufErrors", -1),
        counter("UdpLite", "InErrors"), counter("UdpLite", "NoPorts"),
        counter("UdpLite", "InCsumErrors"), counter("UdpLite", "IgnoredMulti")},
       kUdpliteGroup},
  };
}
}  // namespace

ProcNetSnmpCollector::ProcNetSnmpCollector(const CollectorContext& context)
    : CounterTableCollector(context.paths.proc + "/net/snmp", 4096, snmp_charts(),
                            context.update_every) {}

std::unique_ptr<Collector> make_proc_net_snmp(const CollectorContext& context) {
  return std::make_unique<ProcNetSnmpCollector>(context);
}

}  // namespace trib::collectors
