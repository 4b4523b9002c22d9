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
  EXPECT_EQ(defined,
            (std::vector<std::string>{"disk.vda", "disk_ops.vda", "disk_util.vda", "system.io"}));
  EXPECT_TRUE(sink_.submit_order.empty());

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
  const model::ChartDef& system = *sink_.chart("system.io");
  EXPECT_EQ(system.title, "Disk I/O");
  EXPECT_EQ(system.family, "disk");
  EXPECT_EQ(system.priority, 150);
  EXPECT_EQ(dimension_ids(system), (std::vector<std::string>{"in", "out"}));

  collect(collector, 2, 1);
  defined.clear();
  for (const auto& def : sink_.defines) defined.push_back(def.id);
  EXPECT_EQ(defined, (std::vector<std::string>{"disk.sdb", "disk_ops.sdb", "disk_util.sdb"}));
  EXPECT_EQ(sink_.chart("disk.sdb")->family, "sdb");  // not mounted
  EXPECT_FALSE(sink_.submitted("disk.sdb"));          // new disk: primed only
  expect_values(sink_.values("disk.vda"), {1024, -512}, "vda io step2");
  expect_values(sink_.values("disk_ops.vda"), {100, -50}, "vda ops step2");
  expect_values(sink_.values("disk_util.vda"), {25}, "vda util step2");
  expect_values(sink_.values("system.io"), {1024, -512}, "system.io step2");

  collect(collector, 3, 3);  // two seconds later
  expect_values(sink_.values("disk.vda"), {1024, -512}, "vda io step3");
  expect_values(sink_.values("disk_ops.vda"), {100, -50}, "vda ops step3");
  expect_values(sink_.values("disk_util.vda"), {100}, "vda util capped at 100");
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
  EXPECT_FALSE(sink_.submitted("disk.sdb"));
  expect_values(sink_.values("system.io"), {kNaN, kNaN}, "system.io reset");
}

TEST_F(DeviceCollectorsTest, NetDevChartsInterfacesAndPhysicalTotal) {
  ProcNetDevCollector collector(context());
  collect(collector, 1, 0);
  std::vector<std::string> defined;
  for (const auto& def : sink_.defines) defined.push_back(def.id);
  // lo is disabled by default; ifb0 has only zero counters.
  EXPECT_EQ(defined, (std::vector<std::string>{"net.eth0", "net_packets.eth0", "net.docker0",
                                               "net_packets.docker0", "system.net"}));
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
  EXPECT_TRUE(sink_.submit_order.empty());

  collect(collector, 2, 1);
  EXPECT_TRUE(sink_.defined_now("net.eth1"));
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
}

}  // namespace
}  // namespace trib::collectors::test
