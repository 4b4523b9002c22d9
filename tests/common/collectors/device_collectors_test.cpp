// proc.diskstats and proc.net_dev over tests/fixtures/proc/basic: a disk (sdb) and an interface
// (eth1) appear at step 2, counters reset at step 3 or on going back to step 1.

#include <limits>

#include "common/collectors/chart_util.h"
#include "common/collectors/proc_diskstats.h"
#include "common/collectors/proc_net_dev.h"
#include "tests/common/collectors/collector_test_support.h"

namespace trib::collectors::test {
namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

class DeviceCollectorsTest : public CollectorFixtureTest {
 protected:
  DeviceCollectorsTest() : CollectorFixtureTest("basic") {}
  CollectorContext context() const {
    CollectorContext c;
    c.paths = steps_.paths();
    return c;
  }
};

TEST_F(DeviceCollectorsTest, DiskstatsChartsDisksByNetdataRules) {
  ProcDiskstatsCollector collector(context());
  collect(collector, 1, 0);
  // loop0 is excluded, vda1 is a partition, zram0 has only zero counters so far.
  std::vector<std::string> defined;
  for (const auto& def : sink_.defines) defined.push_back(def.id);
  EXPECT_EQ(defined, (std::vector<std::string>{
                         "disk.vda", "disk_ops.vda", "disk_qops.vda", "disk_backlog.vda",
                         "disk_busy.vda", "disk_util.vda", "disk_mops.vda", "disk_iotime.vda",
                         "disk_await.vda", "disk_avgsz.vda", "disk_svctm.vda", "disk_ext.vda",
                         "disk_ext_ops.vda", "disk_ext_mops.vda", "disk_ext_iotime.vda",
                         "disk_ext_await.vda", "disk_ext_avgsz.vda", "system.io"}));
  // The in-flight gauge is current at once; the rates wait for the second read.
  EXPECT_EQ(sink_.submit_order, std::vector<std::string>{"disk_qops.vda"});

  model::ChartDef io;
  io.id = "disk.vda";
  io.title = "Disk I/O Bandwidth";
  io.units = "KiB/s";
  io.family = "/";  // vda is mounted on / (mountinfo)
  io.context = "disk.io";
  io.chart_type = model::ChartType::area;
  io.priority = 2000;
  io.plugin = "proc";
  io.module = "/proc/diskstats";
  io.dimensions = {dimension("reads"), dimension("writes")};
  EXPECT_EQ(*sink_.chart("disk.vda"), io);
  const model::ChartDef& ops = *sink_.chart("disk_ops.vda");
  EXPECT_EQ(ops.title, "Disk Completed I/O Operations");
  EXPECT_EQ(ops.units, "operations/s");
  EXPECT_EQ(ops.context, "disk.ops");
  EXPECT_EQ(ops.priority, 2010);
  EXPECT_EQ(ops.chart_type, model::ChartType::line);
  const model::ChartDef& util = *sink_.chart("disk_util.vda");
  EXPECT_EQ(util.title, "Disk Utilization Time");
  EXPECT_EQ(util.units, "% of time working");
  EXPECT_EQ(util.context, "disk.util");
  EXPECT_EQ(util.priority, 2040);
  EXPECT_EQ(dimension_ids(util), std::vector<std::string>{"utilization"});
  struct Expected {
    const char* id;
    const char* title;
    const char* units;
    const char* context;
    model::ChartType type;
    int32_t priority;
  };
  const Expected performance[] = {
      {"disk_qops.vda", "Disk Current I/O Operations", "operations", "disk.qops",
       model::ChartType::line, 2015},
      {"disk_backlog.vda", "Disk Backlog", "milliseconds", "disk.backlog", model::ChartType::area,
       2020},
      {"disk_busy.vda", "Disk Busy Time", "milliseconds", "disk.busy", model::ChartType::area,
       2030},
      {"disk_mops.vda", "Disk Merged Operations", "merged operations/s", "disk.mops",
       model::ChartType::line, 2080},
      {"disk_iotime.vda", "Disk Total I/O Time", "milliseconds/s", "disk.iotime",
       model::ChartType::line, 2090},
      {"disk_await.vda", "Average Completed I/O Operation Time", "milliseconds/operation",
       "disk.await", model::ChartType::line, 2050},
      {"disk_avgsz.vda", "Average Completed I/O Operation Bandwidth", "KiB/operation", "disk.avgsz",
       model::ChartType::area, 2060},
      {"disk_svctm.vda", "Average Service Time", "milliseconds/operation", "disk.svctm",
       model::ChartType::line, 2070},
  };
  const auto expect_chart = [&](const Expected& e) {
    const model::ChartDef& def = *sink_.chart(e.id);
    EXPECT_EQ(def.title, e.title) << e.id;
    EXPECT_EQ(def.units, e.units) << e.id;
    EXPECT_EQ(def.context, e.context) << e.id;
    EXPECT_EQ(def.family, "/") << e.id;
    EXPECT_EQ(def.chart_type, e.type) << e.id;
    EXPECT_EQ(def.priority, e.priority) << e.id;
    EXPECT_EQ(def.module, "/proc/diskstats") << e.id;
  };
  for (const Expected& e : performance) expect_chart(e);
  EXPECT_EQ(dimension_ids(*sink_.chart("disk_await.vda")),
            (std::vector<std::string>{"reads", "writes"}));
  EXPECT_EQ(dimension_ids(*sink_.chart("disk_svctm.vda")), std::vector<std::string>{"svctm"});
  // Discards and flushes (the line has both): Netdata's disk_ext charts.
  const Expected extended[] = {
      {"disk_ext.vda", "Amount of Discarded Data", "KiB/s", "disk_ext.io", model::ChartType::area,
       2001},
      {"disk_ext_ops.vda", "Disk Completed Extended I/O Operations", "operations/s", "disk_ext.ops",
       model::ChartType::line, 2011},
      {"disk_ext_mops.vda", "Disk Merged Discard Operations", "merged operations/s",
       "disk_ext.mops", model::ChartType::line, 2081},
      {"disk_ext_iotime.vda", "Disk Total I/O Time for Extended Operations", "milliseconds/s",
       "disk_ext.iotime", model::ChartType::line, 2091},
      {"disk_ext_await.vda", "Average Completed Extended I/O Operation Time",
       "milliseconds/operation", "disk_ext.await", model::ChartType::line, 2051},
      {"disk_ext_avgsz.vda", "Average Amount of Discarded Data", "KiB/operation", "disk_ext.avgsz",
       model::ChartType::area, 2060},
  };
  for (const Expected& e : extended) expect_chart(e);
  const std::vector<std::string> discards_flushes{"discards", "flushes"};
  EXPECT_EQ(dimension_ids(*sink_.chart("disk_ext.vda")), std::vector<std::string>{"discards"});
  EXPECT_EQ(dimension_ids(*sink_.chart("disk_ext_ops.vda")), discards_flushes);
  EXPECT_EQ(dimension_ids(*sink_.chart("disk_ext_mops.vda")), std::vector<std::string>{"discards"});
  EXPECT_EQ(dimension_ids(*sink_.chart("disk_ext_iotime.vda")), discards_flushes);
  EXPECT_EQ(dimension_ids(*sink_.chart("disk_ext_await.vda")), discards_flushes);
  EXPECT_EQ(dimension_ids(*sink_.chart("disk_ext_avgsz.vda")),
            std::vector<std::string>{"discards"});
  const model::ChartDef& system = *sink_.chart("system.io");
  EXPECT_EQ(system.title, "Disk I/O");
  EXPECT_EQ(system.family, "disk");
  EXPECT_EQ(system.priority, 150);
  EXPECT_EQ(dimension_ids(system), (std::vector<std::string>{"in", "out"}));

  collect(collector, 2, 1);
  defined.clear();
  for (const auto& def : sink_.defines) defined.push_back(def.id);
  EXPECT_EQ(defined,
            (std::vector<std::string>{"disk.sdb", "disk_ops.sdb", "disk_busy.sdb", "disk_util.sdb",
                                      "disk_avgsz.sdb", "disk_svctm.sdb", "disk_ext.sdb",
                                      "disk_ext_ops.sdb", "disk_ext_avgsz.sdb"}));
  EXPECT_EQ(sink_.chart("disk.sdb")->family, "sdb");  // not mounted
  EXPECT_FALSE(sink_.submitted("disk.sdb"));          // new disk: primed only
  expect_values(sink_.values("disk.vda"), {1024, -512}, "vda io step2");
  expect_values(sink_.values("disk_ops.vda"), {100, -50}, "vda ops step2");
  expect_values(sink_.values("disk_util.vda"), {25}, "vda util step2");
  expect_values(sink_.values("system.io"), {1024, -512}, "system.io step2");
  expect_values(sink_.values("disk_qops.vda"), {2}, "vda qops step2");
  expect_values(sink_.values("disk_backlog.vda"), {400}, "vda backlog step2");
  expect_values(sink_.values("disk_busy.vda"), {250}, "vda busy step2");
  expect_values(sink_.values("disk_mops.vda"), {10, 0}, "vda mops step2");
  expect_values(sink_.values("disk_iotime.vda"), {200, -100}, "vda iotime step2");
  expect_values(sink_.values("disk_await.vda"), {2, -2}, "vda await step2");
  expect_values(sink_.values("disk_avgsz.vda"), {10.24, -10.24}, "vda avgsz step2");
  expect_values(sink_.values("disk_svctm.vda"), {250.0 / 150}, "vda svctm step2");
  // 20 discards of 4,096 sectors (2 MiB) in 80 ms, 2 merged; 100 flushes in 100 ms.
  expect_values(sink_.values("disk_ext.vda"), {2048}, "vda ext io step2");
  expect_values(sink_.values("disk_ext_ops.vda"), {20, 100}, "vda ext ops step2");
  expect_values(sink_.values("disk_ext_mops.vda"), {2}, "vda ext mops step2");
  expect_values(sink_.values("disk_ext_iotime.vda"), {80, 100}, "vda ext iotime step2");
  expect_values(sink_.values("disk_ext_await.vda"), {4, 1}, "vda ext await step2");
  expect_values(sink_.values("disk_ext_avgsz.vda"), {102.4}, "vda ext avgsz step2");

  collect(collector, 3, 3);  // two seconds later
  expect_values(sink_.values("disk.vda"), {1024, -512}, "vda io step3");
  expect_values(sink_.values("disk_ops.vda"), {100, -50}, "vda ops step3");
  expect_values(sink_.values("disk_util.vda"), {100}, "vda util capped at 100");
  expect_values(sink_.values("disk_qops.vda"), {0}, "vda qops step3");
  expect_values(sink_.values("disk_backlog.vda"), {200}, "vda backlog step3");
  expect_values(sink_.values("disk_busy.vda"), {1200}, "vda busy step3");
  expect_values(sink_.values("disk_svctm.vda"), {8}, "vda svctm step3");
  // No discards over these two seconds (averages 0, as Netdata draws them), 30 flushes/s.
  expect_values(sink_.values("disk_ext.vda"), {0}, "vda ext io step3");
  expect_values(sink_.values("disk_ext_ops.vda"), {0, 30}, "vda ext ops step3");
  expect_values(sink_.values("disk_ext_await.vda"), {0, 1}, "vda ext await step3");
  expect_values(sink_.values("disk_ext_avgsz.vda"), {0}, "vda ext avgsz step3");
  expect_values(sink_.values("disk_avgsz.sdb"), {5, 0}, "sdb avgsz step3");
  expect_values(sink_.values("disk.sdb"), {50, 0}, "sdb io step3");
  expect_values(sink_.values("disk_ops.sdb"), {10, 0}, "sdb ops step3");
  expect_values(sink_.values("disk_util.sdb"), {1}, "sdb util step3");
  // zram0 (virtual) became active: charted now, with rates since it was primed at zero.
  EXPECT_TRUE(sink_.defined_now("disk.zram0"));
  EXPECT_FALSE(sink_.defined_now("disk_util.zram0"));
  expect_values(sink_.values("disk.zram0"), {20, 0}, "zram0 io step3");
  expect_values(sink_.values("disk_ops.zram0"), {5, 0}, "zram0 ops step3");
  // system.io sums physical disks only (not zram0).
  expect_values(sink_.values("system.io"), {1074, -512}, "system.io step3");

  collect(collector, 1, 4);  // every counter goes back: gaps; sdb is gone
  expect_values(sink_.values("disk.vda"), {kNaN, kNaN}, "vda io reset");
  expect_values(sink_.values("disk_util.vda"), {kNaN}, "vda util reset");
  expect_values(sink_.values("disk_qops.vda"), {1}, "vda qops after reset");
  expect_values(sink_.values("disk_await.vda"), {kNaN, kNaN}, "vda await reset");
  expect_values(sink_.values("disk_ext_ops.vda"), {kNaN, kNaN}, "vda ext ops reset");
  expect_values(sink_.values("disk_ext_await.vda"), {kNaN, kNaN}, "vda ext await reset");
  EXPECT_FALSE(sink_.submitted("disk.sdb"));
  expect_values(sink_.values("system.io"), {kNaN, kNaN}, "system.io reset");
}

TEST_F(DeviceCollectorsTest, NetDevChartsInterfacesAndPhysicalTotal) {
  ProcNetDevCollector collector(context());
  collect(collector, 1, 0);
  std::vector<std::string> defined;
  for (const auto& def : sink_.defines) defined.push_back(def.id);
  // lo is disabled by default; ifb0 has only zero counters.
  // The /sys/class/net charts come from the files each interface has.
  EXPECT_EQ(defined,
            (std::vector<std::string>{"net.eth0", "net_packets.eth0", "net_speed.eth0",
                                      "net_duplex.eth0", "net_operstate.eth0", "net_carrier.eth0",
                                      "net_mtu.eth0", "net.docker0", "net_packets.docker0",
                                      "net_operstate.docker0", "net_mtu.docker0", "system.net"}));
  model::ChartDef net;
  net.id = "net.eth0";
  net.title = "Bandwidth";
  net.units = "kilobits/s";
  net.family = "eth0";
  net.context = "net.net";
  net.chart_type = model::ChartType::area;
  net.priority = 7000;
  net.plugin = "proc";
  net.module = "/proc/net/dev";
  net.dimensions = {dimension("received"), dimension("sent")};
  EXPECT_EQ(*sink_.chart("net.eth0"), net);
  const model::ChartDef& packets = *sink_.chart("net_packets.eth0");
  EXPECT_EQ(packets.title, "Packets");
  EXPECT_EQ(packets.units, "packets/s");
  EXPECT_EQ(packets.context, "net.packets");
  EXPECT_EQ(packets.priority, 7001);
  EXPECT_EQ(dimension_ids(packets), (std::vector<std::string>{"received", "sent", "multicast"}));
  const model::ChartDef& system = *sink_.chart("system.net");
  EXPECT_EQ(system.title, "Physical Network Interfaces Aggregated Bandwidth");
  EXPECT_EQ(system.family, "network");
  EXPECT_EQ(system.priority, 500);
  ASSERT_EQ(system.dimensions.size(), 2u);
  EXPECT_EQ(system.dimensions[0].id, "InOctets");
  EXPECT_EQ(system.dimensions[0].name, "received");
  EXPECT_EQ(system.dimensions[1].id, "OutOctets");
  EXPECT_EQ(system.dimensions[1].name, "sent");
  const model::ChartDef& speed = *sink_.chart("net_speed.eth0");
  EXPECT_EQ(speed.title, "Interface Speed");
  EXPECT_EQ(speed.units, "kilobits/s");
  EXPECT_EQ(speed.context, "net.speed");
  EXPECT_EQ(speed.family, "eth0");
  EXPECT_EQ(speed.priority, 7007);
  const model::ChartDef& operstate = *sink_.chart("net_operstate.eth0");
  EXPECT_EQ(operstate.title, "Interface Operational State");
  EXPECT_EQ(operstate.units, "state");
  EXPECT_EQ(operstate.priority, 7009);
  EXPECT_EQ(dimension_ids(operstate),
            (std::vector<std::string>{"up", "down", "notpresent", "lowerlayerdown", "testing",
                                      "dormant", "unknown"}));
  EXPECT_EQ(dimension_ids(*sink_.chart("net_duplex.eth0")),
            (std::vector<std::string>{"full", "half", "unknown"}));
  EXPECT_EQ(dimension_ids(*sink_.chart("net_carrier.eth0")),
            (std::vector<std::string>{"up", "down"}));
  EXPECT_EQ(sink_.chart("net_mtu.eth0")->units, "octets");
  // The /sys gauges are current at once; the counter charts wait for the second read.
  EXPECT_FALSE(sink_.submitted("net.eth0"));
  expect_values(sink_.values("net_speed.eth0"), {1'000'000}, "eth0 speed step1");
  expect_values(sink_.values("net_duplex.eth0"), {1, 0, 0}, "eth0 duplex step1");
  expect_values(sink_.values("net_operstate.eth0"), {1, 0, 0, 0, 0, 0, 0}, "eth0 oper step1");
  expect_values(sink_.values("net_carrier.eth0"), {1, 0}, "eth0 carrier step1");
  expect_values(sink_.values("net_mtu.eth0"), {1500}, "eth0 mtu step1");

  collect(collector, 2, 1);
  EXPECT_TRUE(sink_.defined_now("net.eth1"));
  // eth0 counts receive errors and transmit drops now.
  ASSERT_TRUE(sink_.defined_now("net_errors.eth0"));
  const model::ChartDef& errors = *sink_.chart("net_errors.eth0");
  EXPECT_EQ(errors.title, "Interface Errors");
  EXPECT_EQ(errors.units, "errors/s");
  EXPECT_EQ(errors.context, "net.errors");
  EXPECT_EQ(errors.priority, 7002);
  EXPECT_EQ(dimension_ids(errors), (std::vector<std::string>{"inbound", "outbound"}));
  EXPECT_EQ(sink_.chart("net_drops.eth0")->priority, 7003);
  EXPECT_FALSE(sink_.defined_now("net_fifo.eth0"));
  expect_values(sink_.values("net_errors.eth0"), {2, 0}, "eth0 errors step2");
  expect_values(sink_.values("net_drops.eth0"), {0, -1}, "eth0 drops step2");
  // /sys is read every 10 s: the new MTU is not seen yet.
  expect_values(sink_.values("net_mtu.eth0"), {1500}, "eth0 mtu cached");
  EXPECT_FALSE(sink_.submitted("net.eth1"));
  expect_values(sink_.values("net.eth0"), {1000, -500}, "eth0 step2");
  expect_values(sink_.values("net_packets.eth0"), {100, -50, 5}, "eth0 packets step2");
  expect_values(sink_.values("net.docker0"), {16, -8}, "docker0 step2");
  // docker0 is virtual, eth1 is new: the physical total is eth0 alone.
  expect_values(sink_.values("system.net"), {1000, -500}, "system.net step2");

  collect(collector, 3, 3);
  expect_values(sink_.values("net.eth0"), {kNaN, -500}, "eth0 received reset step3");
  expect_values(sink_.values("net_packets.eth0"), {100, -50, 0}, "eth0 packets step3");
  expect_values(sink_.values("net.eth1"), {100, 0}, "eth1 step3");
  expect_values(sink_.values("net_packets.eth1"), {10, 0, 0}, "eth1 packets step3");
  expect_values(sink_.values("system.net"), {kNaN, -500}, "system.net step3");
  expect_values(sink_.values("net_errors.eth0"), {0, 0}, "eth0 errors step3");

  collect(collector, 3, 11);  // ten seconds after the first /sys read
  expect_values(sink_.values("net_mtu.eth0"), {9000}, "eth0 mtu re-read");
  expect_values(sink_.values("net_operstate.eth0"), {0, 1, 0, 0, 0, 0, 0}, "eth0 down");
  expect_values(sink_.values("net_carrier.eth0"), {kNaN, kNaN}, "eth0 carrier unreadable");
  // speed -1 (link down, or a driver that does not know): 0, as Netdata charts it.
  expect_values(sink_.values("net_speed.eth0"), {0}, "eth0 speed -1");
}

}  // namespace
}  // namespace trib::collectors::test
