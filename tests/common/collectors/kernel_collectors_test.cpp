// proc.interrupts, proc.softirqs and the other kernel-table collectors over
// tests/fixtures/proc/kernel: lines appear and disappear, counters reset at step 3.

#include <limits>

#include "common/collectors/chart_util.h"
#include "common/collectors/proc_interrupts.h"
#include "common/collectors/proc_net_netstat.h"
#include "common/collectors/proc_net_snmp.h"
#include "common/collectors/proc_net_snmp6.h"
#include "common/collectors/proc_net_sockstat.h"
#include "common/collectors/proc_net_softnet_stat.h"
#include "common/collectors/proc_net_stat_conntrack.h"
#include "common/collectors/proc_pressure.h"
#include "common/collectors/proc_softirqs.h"
#include "common/collectors/proc_sysvipc.h"
#include "common/collectors/sys_block_zram.h"
#include "tests/common/collectors/collector_test_support.h"

namespace trib::collectors::test {
namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<std::string> dimension_names(const model::ChartDef& def) {
  std::vector<std::string> names;
  for (const auto& d : def.dimensions) names.push_back(d.name);
  return names;
}

class KernelCollectorsTest : public CollectorFixtureTest {
 protected:
  KernelCollectorsTest() : CollectorFixtureTest("kernel") {}
  CollectorContext context() const {
    CollectorContext c;
    c.paths = steps_.paths();
    return c;
  }
  std::vector<std::string> defined_now() const {
    std::vector<std::string> ids;
    for (const auto& def : sink_.defines) ids.push_back(def.id);
    return ids;
  }
};

TEST_F(KernelCollectorsTest, InterruptsChartLinesPerSystemAndCore) {
  auto collector = make_proc_interrupts(context());
  collect(*collector, 1, 0);
  EXPECT_EQ(defined_now(), (std::vector<std::string>{"system.interrupts", "cpu.cpu0_interrupts",
                                                     "cpu.cpu1_interrupts"}));
  EXPECT_TRUE(sink_.submit_order.empty());
  model::ChartDef system;
  system.id = "system.interrupts";
  system.title = "System interrupts";
  system.units = "interrupts/s";
  system.family = "interrupts";
  system.context = "system.interrupts";
  system.chart_type = model::ChartType::stacked;
  system.priority = 1000;
  system.plugin = "proc";
  system.module = "/proc/interrupts";
  // Lines with a zero total (1, NMI, ERR) have no dimension yet.
  system.dimensions = {dimension("0", "timer_0"), dimension("26", "ttyS0_26"),
                       dimension("29", "virtio0-input.0_29"), dimension("LOC")};
  EXPECT_EQ(*sink_.chart("system.interrupts"), system);
  const model::ChartDef& cpu1 = *sink_.chart("cpu.cpu1_interrupts");
  EXPECT_EQ(cpu1.title, "CPU Interrupts");
  EXPECT_EQ(cpu1.context, "cpu.interrupts");
  EXPECT_EQ(cpu1.family, "interrupts");
  EXPECT_EQ(cpu1.priority, 1101);
  EXPECT_EQ(cpu1.chart_type, model::ChartType::stacked);
  EXPECT_EQ(dimension_ids(cpu1), (std::vector<std::string>{"26", "29", "LOC"}));
  EXPECT_EQ(dimension_ids(*sink_.chart("cpu.cpu0_interrupts")),
            (std::vector<std::string>{"0", "29", "LOC"}));

  collect(*collector, 2, 1);  // 1 and ERR become non-zero, 30 is a new line
  EXPECT_EQ(defined_now(), (std::vector<std::string>{"system.interrupts", "cpu.cpu0_interrupts",
                                                     "cpu.cpu1_interrupts"}));
  EXPECT_EQ(dimension_ids(*sink_.chart("system.interrupts")),
            (std::vector<std::string>{"0", "26", "29", "LOC", "1", "30", "ERR"}));
  EXPECT_EQ(dimension_names(*sink_.chart("system.interrupts"))[5], "virtio0-output.0_30");
  EXPECT_EQ(dimension_names(*sink_.chart("system.interrupts"))[6], "");
  expect_values(sink_.values("system.interrupts"), {0, 2, 110, 1100, 5, kNaN, 3}, "system step2");
  EXPECT_EQ(dimension_ids(*sink_.chart("cpu.cpu0_interrupts")),
            (std::vector<std::string>{"0", "29", "LOC", "30", "ERR"}));
  expect_values(sink_.values("cpu.cpu0_interrupts"), {0, 50, 500, kNaN, 3}, "cpu0 step2");
  expect_values(sink_.values("cpu.cpu1_interrupts"), {2, 60, 600, 5}, "cpu1 step2");

  collect(*collector, 3, 3);  // line 1 is gone, LOC reset on cpu0, two seconds later
  EXPECT_TRUE(sink_.defines.empty());
  expect_values(sink_.values("system.interrupts"), {1, 3, 70, kNaN, kNaN, 1, 0}, "system step3");
  expect_values(sink_.values("cpu.cpu0_interrupts"), {1, 50, kNaN, 1, 0}, "cpu0 step3");
  expect_values(sink_.values("cpu.cpu1_interrupts"), {3, 20, 100, kNaN}, "cpu1 step3");
}

TEST_F(KernelCollectorsTest, SoftirqsChartPerSystemAndCore) {
  auto collector = make_proc_softirqs(context());
  collect(*collector, 1, 0);
  EXPECT_EQ(defined_now(), (std::vector<std::string>{"system.softirqs", "cpu.cpu0_softirqs",
                                                     "cpu.cpu1_softirqs"}));
  const model::ChartDef& system = *sink_.chart("system.softirqs");
  EXPECT_EQ(system.title, "System softirqs");
  EXPECT_EQ(system.units, "softirqs/s");
  EXPECT_EQ(system.family, "softirqs");
  EXPECT_EQ(system.priority, 950);
  EXPECT_EQ(system.module, "/proc/softirqs");
  EXPECT_EQ(dimension_ids(system), (std::vector<std::string>{"TIMER", "NET_RX"}));
  EXPECT_EQ(dimension_names(system), (std::vector<std::string>{"", ""}));
  const model::ChartDef& cpu0 = *sink_.chart("cpu.cpu0_softirqs");
  EXPECT_EQ(cpu0.title, "CPU softirqs");
  EXPECT_EQ(cpu0.context, "cpu.softirqs");
  EXPECT_EQ(cpu0.priority, 3000);
  EXPECT_EQ(dimension_ids(*sink_.chart("cpu.cpu1_softirqs")), std::vector<std::string>{"TIMER"});

  collect(*collector, 2, 1);
  EXPECT_EQ(defined_now(), std::vector<std::string>{"cpu.cpu1_softirqs"});
  expect_values(sink_.values("system.softirqs"), {110, 14}, "system step2");
  expect_values(sink_.values("cpu.cpu0_softirqs"), {50, 10}, "cpu0 step2");
  expect_values(sink_.values("cpu.cpu1_softirqs"), {60, 4}, "cpu1 step2");

  collect(*collector, 3, 3);
  expect_values(sink_.values("system.softirqs"), {45, 7, 0.5}, "system step3");
  expect_values(sink_.values("cpu.cpu0_softirqs"), {25, 5, 0.5}, "cpu0 step3");
  expect_values(sink_.values("cpu.cpu1_softirqs"), {20, 2}, "cpu1 step3");
}

TEST_F(KernelCollectorsTest, NetSnmpChartsIpv4CountersOnceNonZero) {
  ProcNetSnmpCollector collector(context());
  collect(collector, 1, 0);
  // ICMP, UDP errors, UDPLite, fragments and IP errors are all zero so far.
  EXPECT_EQ(defined_now(), (std::vector<std::string>{
                               "ipv4.packets", "ipv4.tcpsock", "ipv4.tcppackets", "ipv4.tcperrors",
                               "ipv4.tcpopens", "ipv4.tcphandshake", "ipv4.udppackets"}));
  model::ChartDef packets;
  packets.id = "ipv4.packets";
  packets.title = "IPv4 Packets";
  packets.units = "packets/s";
  packets.family = "packets";
  packets.context = "ipv4.packets";
  packets.chart_type = model::ChartType::line;
  packets.priority = 5130;
  packets.plugin = "proc";
  packets.module = "/proc/net/snmp";
  packets.dimensions = {dimension("InReceives", "received"), dimension("OutRequests", "sent"),
                        dimension("ForwDatagrams", "forwarded"),
                        dimension("InDelivers", "delivered")};
  EXPECT_EQ(*sink_.chart("ipv4.packets"), packets);
  const model::ChartDef& tcpsock = *sink_.chart("ipv4.tcpsock");
  EXPECT_EQ(tcpsock.units, "active connections");
  EXPECT_EQ(tcpsock.priority, 5200);
  // The gauge is submitted at once; rate charts wait for the second read.
  EXPECT_EQ(sink_.submit_order, std::vector<std::string>{"ipv4.tcpsock"});
  expect_values(sink_.values("ipv4.tcpsock"), {5}, "tcpsock step1");

  collect(collector, 2, 1);  // ICMP counters start; IcmpMsg appears and shifts the layout
  EXPECT_EQ(defined_now(),
            (std::vector<std::string>{"ipv4.icmp", "ipv4.icmp_errors", "ipv4.icmpmsg"}));
  EXPECT_EQ(sink_.chart("ipv4.icmpmsg")->dimensions.size(), 20u);
  EXPECT_EQ(sink_.chart("ipv4.icmpmsg")->dimensions[2].name, "InDestUnreachs");
  expect_values(sink_.values("ipv4.packets"), {100, -80, 0, 90}, "packets step2");
  expect_values(sink_.values("ipv4.icmp"), {4, -2}, "icmp step2");
  expect_values(sink_.values("ipv4.icmp_errors"), {0, 0, 0}, "icmp errors step2");
  expect_values(sink_.values("ipv4.tcpsock"), {6}, "tcpsock step2");
  expect_values(sink_.values("ipv4.tcppackets"), {100, -80}, "tcppackets step2");
  expect_values(sink_.values("ipv4.tcpopens"), {2, 1}, "tcpopens step2");
  expect_values(sink_.values("ipv4.tcphandshake"), {0, 0, 0}, "tcphandshake step2");
  expect_values(sink_.values("ipv4.udppackets"), {10, -5}, "udppackets step2");
  std::vector<double> icmpmsg = sink_.values("ipv4.icmpmsg");
  for (double value : icmpmsg) EXPECT_TRUE(std::isnan(value));  // all new counters: primed

  collect(collector, 3, 3);  // two seconds later; InSegs went backwards
  EXPECT_EQ(defined_now(),
            (std::vector<std::string>{"ipv4.errors", "ipv4.udplite", "ipv4.udplite_errors"}));
  expect_values(sink_.values("ipv4.packets"), {100, -100, 0, 95}, "packets step3");
  expect_values(sink_.values("ipv4.errors"), {1, 0, 0, 0, 0, 0}, "errors step3");
  expect_values(sink_.values("ipv4.tcppackets"), {kNaN, -100}, "tcppackets reset");
  expect_values(sink_.values("ipv4.udplite_errors"), {0, 0, 0.5, 0, 0, 0}, "udplite step3");
  icmpmsg = sink_.values("ipv4.icmpmsg");
  ASSERT_EQ(icmpmsg.size(), 20u);
  EXPECT_NEAR(icmpmsg[2], 1, 1e-9);     // InType3: (6 - 4) / 2
  EXPECT_NEAR(icmpmsg[3], 0, 1e-9);     // OutType3
  EXPECT_TRUE(std::isnan(icmpmsg[6]));  // InType8: new, primed
  EXPECT_TRUE(std::isnan(icmpmsg[0]));  // InType0: absent
}

TEST_F(KernelCollectorsTest, NetNetstatChartsIpExtAndTcpExt) {
  ProcNetNetstatCollector collector(context());
  collect(collector, 1, 0);
  EXPECT_EQ(defined_now(),
            (std::vector<std::string>{"system.ip", "ip.ecnpkts", "ip.tcpconnaborts", "ip.tcpofo"}));
  EXPECT_TRUE(sink_.submit_order.empty());
  model::ChartDef ip;
  ip.id = "system.ip";
  ip.title = "IP Bandwidth";
  ip.units = "kilobits/s";
  ip.family = "network";
  ip.context = "system.ip";
  ip.chart_type = model::ChartType::area;
  ip.priority = 501;
  ip.plugin = "proc";
  ip.module = "/proc/net/netstat";
  ip.dimensions = {dimension("InOctets", "received"), dimension("OutOctets", "sent")};
  EXPECT_EQ(*sink_.chart("system.ip"), ip);
  const model::ChartDef& aborts = *sink_.chart("ip.tcpconnaborts");
  EXPECT_EQ(aborts.units, "connections/s");
  EXPECT_EQ(aborts.family, "tcp");
  EXPECT_EQ(aborts.priority, 4210);
  EXPECT_EQ(dimension_names(aborts), (std::vector<std::string>{"baddata", "userclosed", "nomemory",
                                                               "timeout", "linger", "failed"}));

  collect(collector, 2, 1);
  EXPECT_EQ(defined_now(), std::vector<std::string>{"ip.tcp_accept_queue"});
  expect_values(sink_.values("system.ip"), {1000, -500}, "system.ip step2");
  expect_values(sink_.values("ip.ecnpkts"), {0, -100, 0, 0}, "ecn step2");
  expect_values(sink_.values("ip.tcpconnaborts"), {2, 0, 0, 0, 0, 0}, "aborts step2");
  expect_values(sink_.values("ip.tcpofo"), {10, 0, 0, 0}, "ofo step2");
  expect_values(sink_.values("ip.tcp_accept_queue"), {3, 3}, "accept queue step2");

  collect(collector, 3, 3);  // InOctets went backwards; multicast packets start
  EXPECT_EQ(defined_now(), std::vector<std::string>{"ip.mcastpkts"});
  expect_values(sink_.values("system.ip"), {kNaN, -500}, "system.ip reset");
  expect_values(sink_.values("ip.mcastpkts"), {2, 0}, "mcastpkts step3");
  expect_values(sink_.values("ip.tcp_accept_queue"), {0, 0}, "accept queue step3");
}

TEST_F(KernelCollectorsTest, NetSockstatChartsSocketGauges) {
  ProcNetSockstatCollector collector(context());  // 4 KiB pages
  collect(collector, 1, 0);
  EXPECT_EQ(defined_now(),
            (std::vector<std::string>{"ipv4.sockstat_sockets", "ipv4.sockstat_tcp_sockets",
                                      "ipv4.sockstat_tcp_mem"}));
  const model::ChartDef& tcp = *sink_.chart("ipv4.sockstat_tcp_sockets");
  EXPECT_EQ(tcp.title, "IPv4 TCP Sockets");
  EXPECT_EQ(tcp.units, "sockets");
  EXPECT_EQ(tcp.family, "tcp");
  EXPECT_EQ(tcp.priority, 5201);
  EXPECT_EQ(tcp.module, "/proc/net/sockstat");
  EXPECT_EQ(dimension_ids(tcp), (std::vector<std::string>{"alloc", "orphan", "inuse", "timewait"}));
  EXPECT_EQ(sink_.chart("ipv4.sockstat_tcp_mem")->chart_type, model::ChartType::area);
  // Gauges are submitted from the first read.
  expect_values(sink_.values("ipv4.sockstat_sockets"), {15}, "sockets step1");
  expect_values(sink_.values("ipv4.sockstat_tcp_sockets"), {2, 0, 2, 446}, "tcp step1");
  expect_values(sink_.values("ipv4.sockstat_tcp_mem"), {552}, "tcp mem step1");

  collect(collector, 2, 1);
  EXPECT_EQ(defined_now(),
            (std::vector<std::string>{"ipv4.sockstat_udp_sockets", "ipv4.sockstat_udp_mem"}));
  expect_values(sink_.values("ipv4.sockstat_tcp_sockets"), {4, 1, 3, 400}, "tcp step2");
  expect_values(sink_.values("ipv4.sockstat_udp_mem"), {8}, "udp mem step2");

  collect(collector, 3, 3);
  EXPECT_EQ(defined_now(),
            (std::vector<std::string>{"ipv4.sockstat_frag_sockets", "ipv4.sockstat_frag_mem"}));
  expect_values(sink_.values("ipv4.sockstat_frag_mem"), {2}, "frag mem step3");
}

TEST_F(KernelCollectorsTest, SoftnetStatChartsSystemAndRows) {
  ProcNetSoftnetStatCollector collector(context());
  collect(collector, 1, 0);
  EXPECT_EQ(defined_now(),
            (std::vector<std::string>{"cpu.cpu0_softnet_stat", "cpu.cpu1_softnet_stat",
                                      "system.softnet_stat"}));
  EXPECT_TRUE(sink_.submit_order.empty());
  const model::ChartDef& system = *sink_.chart("system.softnet_stat");
  EXPECT_EQ(system.title, "System softnet_stat");
  EXPECT_EQ(system.units, "events/s");
  EXPECT_EQ(system.family, "softnet_stat");
  EXPECT_EQ(system.priority, 955);
  EXPECT_EQ(dimension_ids(system), (std::vector<std::string>{"processed", "dropped", "squeezed",
                                                             "received_rps", "flow_limit_count"}));
  const model::ChartDef& cpu1 = *sink_.chart("cpu.cpu1_softnet_stat");
  EXPECT_EQ(cpu1.title, "CPU softnet_stat");
  EXPECT_EQ(cpu1.context, "cpu.softnet_stat");
  EXPECT_EQ(cpu1.priority, 4102);

  collect(collector, 2, 1);
  expect_values(sink_.values("cpu.cpu0_softnet_stat"), {16, 0, 0, 2, 0}, "cpu0 step2");
  expect_values(sink_.values("cpu.cpu1_softnet_stat"), {32, 1, 0, 0, 0}, "cpu1 step2");
  expect_values(sink_.values("system.softnet_stat"), {48, 1, 0, 2, 0}, "system step2");

  collect(collector, 3, 3);  // row 0 processed went backwards; row 2 appears
  EXPECT_EQ(defined_now(), std::vector<std::string>{"cpu.cpu2_softnet_stat"});
  EXPECT_FALSE(sink_.submitted("cpu.cpu2_softnet_stat"));
  expect_values(sink_.values("cpu.cpu0_softnet_stat"), {kNaN, 0, 0, 0, 0}, "cpu0 step3");
  expect_values(sink_.values("cpu.cpu1_softnet_stat"), {16, 0, 0, 0, 0}, "cpu1 step3");
  expect_values(sink_.values("system.softnet_stat"), {kNaN, 0, 0, 0, 0}, "system step3");
}

TEST_F(KernelCollectorsTest, PressureChartsAveragesAndStallTime) {
  steps_.use_step(1);  // io has no file: no charts for it
  ProcPressureCollector collector(context());
  collect(collector, 1, 0);
  EXPECT_EQ(defined_now(),
            (std::vector<std::string>{
                "system.cpu_some_pressure", "system.cpu_some_pressure_stall_time",
                "system.cpu_full_pressure", "system.cpu_full_pressure_stall_time",
                "system.memory_some_pressure", "system.memory_some_pressure_stall_time",
                "system.memory_full_pressure", "system.memory_full_pressure_stall_time"}));
  model::ChartDef some;
  some.id = "system.memory_some_pressure";
  some.title = "Memory some pressure";
  some.units = "percentage";
  some.family = "ram";
  some.context = "system.memory_some_pressure";
  some.chart_type = model::ChartType::line;
  some.priority = 240;
  some.plugin = "proc";
  some.module = "/proc/pressure";
  some.dimensions = {dimension("some 10"), dimension("some 60"), dimension("some 300")};
  EXPECT_EQ(*sink_.chart("system.memory_some_pressure"), some);
  const model::ChartDef& stall = *sink_.chart("system.cpu_full_pressure_stall_time");
  EXPECT_EQ(stall.title, "CPU full pressure stall time");
  EXPECT_EQ(stall.units, "ms");
  EXPECT_EQ(stall.priority, 155);
  EXPECT_EQ(dimension_ids(*sink_.chart("system.cpu_full_pressure")),
            (std::vector<std::string>{"full 10", "full 60", "full 300"}));
  expect_values(sink_.values("system.cpu_some_pressure"), {1.5, 0.75, 0.25}, "cpu some step1");
  EXPECT_FALSE(sink_.submitted("system.cpu_some_pressure_stall_time"));

  collect(collector, 2, 1);
  expect_values(sink_.values("system.cpu_some_pressure"), {2, 1, 0.3}, "cpu some step2");
  expect_values(sink_.values("system.cpu_some_pressure_stall_time"), {250}, "cpu stall step2");
  expect_values(sink_.values("system.memory_some_pressure_stall_time"), {0.1}, "mem stall");

  collect(collector, 3, 3);  // cpu total went backwards
  expect_values(sink_.values("system.cpu_some_pressure_stall_time"), {kNaN}, "cpu stall reset");
  expect_values(sink_.values("system.memory_some_pressure_stall_time"), {1}, "mem stall step3");
}

TEST_F(KernelCollectorsTest, ConntrackChartsSummedCpuCountersFromTheFirstRead) {
  steps_.use_step(1);
  ProcNetStatConntrackCollector collector(context());
  collect(collector, 1, 0);
  EXPECT_EQ(defined_now(),
            (std::vector<std::string>{"netfilter.conntrack_sockets", "netfilter.conntrack_new",
                                      "netfilter.conntrack_changes", "netfilter.conntrack_expect",
                                      "netfilter.conntrack_search", "netfilter.conntrack_errors"}));
  const model::ChartDef& sockets = *sink_.chart("netfilter.conntrack_sockets");
  EXPECT_EQ(sockets.title, "Connection Tracker Connections");
  EXPECT_EQ(sockets.units, "active connections");
  EXPECT_EQ(sockets.family, "conntrack");
  EXPECT_EQ(sockets.context, "netfilter.conntrack_sockets");
  EXPECT_EQ(sockets.priority, 8700);
  EXPECT_EQ(sockets.module, "/proc/net/stat/nf_conntrack");
  EXPECT_EQ(dimension_ids(sockets), std::vector<std::string>{"connections"});
  EXPECT_EQ(dimension_ids(*sink_.chart("netfilter.conntrack_new")),
            (std::vector<std::string>{"new", "ignore", "invalid"}));
  EXPECT_EQ(dimension_ids(*sink_.chart("netfilter.conntrack_changes")),
            (std::vector<std::string>{"inserted", "deleted", "delete_list"}));
  EXPECT_EQ(dimension_ids(*sink_.chart("netfilter.conntrack_expect")),
            (std::vector<std::string>{"created", "deleted", "new"}));
  EXPECT_EQ(dimension_ids(*sink_.chart("netfilter.conntrack_search")),
            (std::vector<std::string>{"searched", "restarted", "found"}));
  EXPECT_EQ(dimension_ids(*sink_.chart("netfilter.conntrack_errors")),
            (std::vector<std::string>{"icmp_error", "insert_failed", "drop", "early_drop"}));
  EXPECT_EQ(sink_.chart("netfilter.conntrack_search")->priority, 8710);
  // The entries gauge from the first read (hexadecimal, once, not per CPU); rates from the second.
  expect_values(sink_.values("netfilter.conntrack_sockets"), {16}, "sockets step1");
  EXPECT_FALSE(sink_.submitted("netfilter.conntrack_new"));

  collect(collector, 2, 1);
  EXPECT_TRUE(defined_now().empty());
  expect_values(sink_.values("netfilter.conntrack_sockets"), {18}, "sockets step2");
  // found 8 -> 0x18 summed over both CPUs: 24 - 8; invalid 3 -> 5; delete 0 -> 6.
  expect_values(sink_.values("netfilter.conntrack_search"), {0, -2, 16}, "search step2");
  expect_values(sink_.values("netfilter.conntrack_new"), {0, -0.0, -2}, "new step2");
  expect_values(sink_.values("netfilter.conntrack_changes"), {16, -6, -0.0}, "changes step2");
  expect_values(sink_.values("netfilter.conntrack_errors"), {1, -0.0, -0.0, -0.0}, "errors step2");
  expect_values(sink_.values("netfilter.conntrack_expect"), {0, -0.0, 0}, "expect step2");

  collect(collector, 3, 3);  // found went backwards: a gap, not a spike; two seconds later
  expect_values(sink_.values("netfilter.conntrack_search"), {0, -0.0, kNaN}, "search step3");
  expect_values(sink_.values("netfilter.conntrack_changes"), {6, -3, -0.0}, "changes step3");
}

TEST_F(KernelCollectorsTest, ConntrackWithoutTheFileChartsNothing) {
  CollectorContext missing = context();
  missing.paths.proc = "/nonexistent-proc";
  ProcNetStatConntrackCollector collector(missing);
  collect(collector, 1, 0);
  EXPECT_TRUE(sink_.defines.empty());
  EXPECT_TRUE(sink_.submit_order.empty());
}

TEST_F(KernelCollectorsTest, SysvipcChartsSemaphoresAndSharedMemoryInUse) {
  ProcSysvipcCollector collector(context());
  collect(collector, 1, 0);  // no arrays, no segments: zeros, charted from the first read
  EXPECT_EQ(defined_now(), (std::vector<std::string>{
                               "system.ipc_semaphores", "system.ipc_semaphore_arrays",
                               "system.shared_memory_segments", "system.shared_memory_bytes"}));
  model::ChartDef semaphores;
  semaphores.id = "system.ipc_semaphores";
  semaphores.title = "IPC Semaphores";
  semaphores.units = "semaphores";
  semaphores.family = "ipc semaphores";
  semaphores.context = "system.ipc_semaphores";
  semaphores.chart_type = model::ChartType::area;
  semaphores.priority = 1203;
  semaphores.plugin = "proc";
  semaphores.module = "ipc";
  semaphores.dimensions = {dimension("semaphores")};
  EXPECT_EQ(*sink_.chart("system.ipc_semaphores"), semaphores);
  const model::ChartDef& bytes = *sink_.chart("system.shared_memory_bytes");
  EXPECT_EQ(bytes.family, "ipc shared memory");
  EXPECT_EQ(bytes.chart_type, model::ChartType::stacked);
  EXPECT_EQ(bytes.priority, 1206);
  expect_values(sink_.values("system.ipc_semaphores"), {0}, "semaphores step1");
  expect_values(sink_.values("system.shared_memory_bytes"), {0}, "shm bytes step1");

  collect(collector, 2, 1);
  EXPECT_TRUE(defined_now().empty());
  expect_values(sink_.values("system.ipc_semaphores"), {17}, "semaphores step2");
  expect_values(sink_.values("system.ipc_semaphore_arrays"), {2}, "arrays step2");
  expect_values(sink_.values("system.shared_memory_segments"), {1}, "segments step2");
  expect_values(sink_.values("system.shared_memory_bytes"), {1048576}, "shm bytes step2");

  collect(collector, 3, 3);
  expect_values(sink_.values("system.shared_memory_segments"), {2}, "segments step3");
  expect_values(sink_.values("system.shared_memory_bytes"), {1114112}, "shm bytes step3");
}

TEST_F(KernelCollectorsTest, ZramChartsEachDeviceOfTheZramMajorWithNetdatasArithmetic) {
  SysBlockZramCollector collector(context());
  collect(collector, 1, 0);  // an unused device: Netdata's values for zero sizes
  EXPECT_EQ(defined_now(),
            (std::vector<std::string>{"mem.zram_usage.zram0", "mem.zram_savings.zram0",
                                      "mem.zram_ratio.zram0", "mem.zram_efficiency.zram0"}));
  model::ChartDef usage;
  usage.id = "mem.zram_usage.zram0";
  usage.title = "ZRAM Memory Usage";
  usage.units = "MiB";
  usage.family = "zram0";
  usage.context = "mem.zram_usage";
  usage.chart_type = model::ChartType::area;
  usage.priority = 1600;
  usage.plugin = "proc";
  usage.module = "/sys/block/zram";
  usage.dimensions = {dimension("compressed"), dimension("metadata")};
  EXPECT_EQ(*sink_.chart("mem.zram_usage.zram0"), usage);
  EXPECT_EQ(dimension_ids(*sink_.chart("mem.zram_savings.zram0")),
            (std::vector<std::string>{"savings", "original"}));
  EXPECT_EQ(sink_.chart("mem.zram_ratio.zram0")->title,
            "ZRAM Compression Ratio (original to compressed)");
  EXPECT_EQ(sink_.chart("mem.zram_efficiency.zram0")->units, "percentage");
  expect_values(sink_.values("mem.zram_usage.zram0"), {0, 0}, "usage step1");
  expect_values(sink_.values("mem.zram_ratio.zram0"), {0.01}, "ratio step1");
  expect_values(sink_.values("mem.zram_efficiency.zram0"), {0.01}, "efficiency step1");

  collect(collector, 2, 1);  // 10 MiB stored in 3 MiB, 4 MiB of memory used
  expect_values(sink_.values("mem.zram_usage.zram0"), {3, 1}, "usage step2");
  expect_values(sink_.values("mem.zram_savings.zram0"), {-7, 10}, "savings step2");
  expect_values(sink_.values("mem.zram_ratio.zram0"), {3.33}, "ratio step2");
  expect_values(sink_.values("mem.zram_efficiency.zram0"), {75}, "efficiency step2");

  collect(collector, 3, 3);  // the device went away
  EXPECT_TRUE(sink_.submit_order.empty());
}

TEST_F(KernelCollectorsTest, ZramWithoutTheDriverChartsNothing) {
  CollectorContext missing = context();
  missing.paths.proc = "/nonexistent-proc";
  SysBlockZramCollector collector(missing);
  collect(collector, 2, 0);
  EXPECT_TRUE(sink_.defines.empty());
}

TEST_F(KernelCollectorsTest, NetSnmp6ChartsIpv6CountersOnceNonZero) {
  ProcNetSnmp6Collector collector(context());
  collect(collector, 1, 0);
  EXPECT_EQ(defined_now(), (std::vector<std::string>{"system.ipv6", "ipv6.packets", "ipv6.ect"}));
  model::ChartDef bandwidth;
  bandwidth.id = "system.ipv6";
  bandwidth.title = "IPv6 Bandwidth";
  bandwidth.units = "kilobits/s";
  bandwidth.family = "network";
  bandwidth.context = "system.ipv6";
  bandwidth.chart_type = model::ChartType::area;
  bandwidth.priority = 502;
  bandwidth.plugin = "proc";
  bandwidth.module = "/proc/net/snmp6";
  // Netdata's ids are the counters' names without the Ip6 prefix.
  bandwidth.dimensions = {dimension("InOctets", "received"), dimension("OutOctets", "sent")};
  EXPECT_EQ(*sink_.chart("system.ipv6"), bandwidth);
  const model::ChartDef& packets = *sink_.chart("ipv6.packets");
  EXPECT_EQ(packets.family, "packets");
  EXPECT_EQ(packets.priority, 6200);
  EXPECT_EQ(dimension_ids(packets), (std::vector<std::string>{"InReceives", "OutRequests",
                                                              "OutForwDatagrams", "InDelivers"}));
  EXPECT_EQ(dimension_names(packets),
            (std::vector<std::string>{"received", "sent", "forwarded", "delivers"}));
  EXPECT_TRUE(sink_.submit_order.empty());

  collect(collector, 2, 1);
  EXPECT_EQ(defined_now(), std::vector<std::string>{"ipv6.icmp"});
  EXPECT_EQ(sink_.chart("ipv6.icmp")->units, "messages/s");
  expect_values(sink_.values("system.ipv6"), {8, -4}, "bandwidth step2");
  expect_values(sink_.values("ipv6.packets"), {10, -5, 0, 8}, "packets step2");
  expect_values(sink_.values("ipv6.ect"), {10, 0, 0, 0}, "ect step2");
  expect_values(sink_.values("ipv6.icmp"), {2, -1}, "icmp step2");

  collect(collector, 3, 3);  // Ip6InReceives went backwards; UDP starts
  EXPECT_EQ(defined_now(), std::vector<std::string>{"ipv6.udppackets"});
  expect_values(sink_.values("ipv6.packets"), {kNaN, -5, 0, 5}, "packets step3");
  expect_values(sink_.values("ipv6.udppackets"), {0, -2}, "udp step3");
}

}  // namespace
}  // namespace trib::collectors::test
