#include "common/collectors/proc_net_sockstat.h"

namespace trib::collectors {
namespace {
constexpr const char* kModule = "/proc/net/sockstat";

ChartSpec sockstat_chart(std::string name, std::string title, std::string units, std::string family,
                         int32_t priority, model::ChartType type = model::ChartType::line) {
  std::string id = "ipv4.sockstat_" + name;
  return {.id = id,
          .title = std::move(title),
          .units = std::move(units),
          .family = std::move(family),
          .context = id,
          .type = type,
          .priority = priority,
          .module = kModule};
}

TableDim gauge(std::string_view section, std::string_view key, std::string_view id,
               double factor = 1) {
  return {.section = section, .key = key, .id = id, .factor = factor, .incremental = false};
}

std::vector<TableChart> sockstat_charts(double page_kib) {
  constexpr auto kArea = model::ChartType::area;
  return {
      {sockstat_chart("sockets", "IPv4 Sockets Used", "sockets", "sockets", 5100),
       {gauge("sockets", "used", "used")}},
      {sockstat_chart("tcp_sockets", "IPv4 TCP Sockets", "sockets", "tcp", 5201),
       {gauge("TCP", "alloc", "alloc"), gauge("TCP", "orphan", "orphan"),
        gauge("TCP", "inuse", "inuse"), gauge("TCP", "tw", "timewait")}},
      {sockstat_chart("tcp_mem", "IPv4 TCP Sockets Memory", "KiB", "tcp", 5290, kArea),
       {gauge("TCP", "mem", "mem", page_kib)}},
      {sockstat_chart("udp_sockets", "IPv4 UDP Sockets", "sockets", "udp", 5300),
       {gauge("UDP", "inuse", "inuse")}},
      {sockstat_chart("udp_mem", "IPv4 UDP Sockets Memory", "KiB", "udp", 5390, kArea),
       {gauge("UDP", "mem", "mem", page_kib)}},
      {sockstat_chart("udplite_sockets", "IPv4 UDPLITE Sockets", "sockets", "udplite", 5400),
       {gauge("UDPLITE", "inuse", "inuse")}},
      {sockstat_chart("raw_sockets", "IPv4 RAW Sockets", "sockets", "raw", 5450),
       {gauge("RAW", "inuse", "inuse")}},
      {sockstat_chart("frag_sockets", "IPv4 FRAG Sockets", "fragments", "fragments", 5460),
       {gauge("FRAG", "inuse", "inuse")}},
      {sockstat_chart("frag_mem", "IPv4 FRAG Sockets Memory", "KiB", "fragments", 5470, kArea),
       {gauge("FRAG", "memory", "mem", 1.0 / 1024.0)}},
  };
}
}  // namespace

ProcNetSockstatCollector::ProcNetSockstatCollector(const CollectorContext& context)
    : CounterTableCollector(context.paths.proc + "/net/sockstat", 4096,
                            sockstat_charts(static_cast<double>(context.page_size) / 1024.0),
                            context.update_every) {}

std::unique_ptr<Collector> make_proc_net_sockstat(const CollectorContext& context) {
  return std::make_unique<ProcNetSockstatCollector>(context);
}

}  // namespace trib::collectors
