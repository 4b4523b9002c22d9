// proc.stat, proc.loadavg, proc.meminfo, proc.vmstat, proc.uptime and proc.entropy over the
// golden steps of tests/fixtures/proc/basic: step1 at T0, step2 at T0+1s, step3 at T0+3s (so
// rates must use the elapsed time between timestamps).

#include <cmath>
#include <limits>

#include "common/collectors/chart_util.h"
#include "common/collectors/proc_entropy.h"
#include "common/collectors/proc_loadavg.h"
#include "common/collectors/proc_meminfo.h"
#include "common/collectors/proc_stat.h"
#include "common/collectors/proc_uptime.h"
#include "common/collectors/proc_vmstat.h"
#include "tests/common/collectors/collector_test_support.h"

namespace trib::collectors::test {
namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

class SystemCollectorsTest : public CollectorFixtureTest {
 protected:
  SystemCollectorsTest() : CollectorFixtureTest("basic") {}
  CollectorContext context() const {
    CollectorContext c;
    c.paths = steps_.paths();
    c.page_size = 4096;
    return c;
  }
};

model::ChartDef expected_cpu_chart(std::string id, std::string title, std::string family,
                                   std::string context, int32_t priority) {
  model::ChartDef def;
  def.id = std::move(id);
  def.title = std::move(title);
  def.units = "percentage";
  def.family = std::move(family);
  def.context = std::move(context);
  def.chart_type = model::ChartType::stacked;
  def.priority = priority;
  def.plugin = "proc";
  def.module = "/proc/stat";
  for (const char* dim : {"guest_nice", "guest", "steal", "softirq", "irq", "user", "system",
                          "nice", "iowait", "idle"}) {
    def.dimensions.push_back(dimension(dim));
  }
  def.dimensions.back().hidden = true;
  return def;
}

TEST_F(SystemCollectorsTest, ProcStatChartsPercentagesAndRates) {
  ProcStatCollector collector(context());

  collect(collector, 1, 0);
  EXPECT_EQ(sink_.defines.size(), 7u);
  ASSERT_NE(sink_.chart("system.cpu"), nullptr);
  EXPECT_EQ(*sink_.chart("system.cpu"),
            expected_cpu_chart("system.cpu", "Total CPU utilization", "cpu", "system.cpu", 100));
  EXPECT_EQ(*sink_.chart("cpu.cpu0"),
            expected_cpu_chart("cpu.cpu0", "Core utilization", "utilization", "cpu.cpu", 1001));
  EXPECT_EQ(sink_.chart("cpu.cpu1")->priority, 1002);
  const model::ChartDef& intr = *sink_.chart("system.intr");
  EXPECT_EQ(intr.title, "CPU Interrupts");
  EXPECT_EQ(intr.units, "interrupts/s");
  EXPECT_EQ(intr.family, "interrupts");
  EXPECT_EQ(intr.priority, 900);
  EXPECT_EQ(dimension_ids(intr), std::vector<std::string>{"interrupts"});
  EXPECT_EQ(dimension_ids(*sink_.chart("system.ctxt")), std::vector<std::string>{"switches"});
  EXPECT_EQ(sink_.chart("system.ctxt")->units, "context switches/s");
  EXPECT_EQ(dimension_ids(*sink_.chart("system.forks")), std::vector<std::string>{"started"});
  EXPECT_EQ(sink_.chart("system.forks")->priority, 700);
  EXPECT_EQ(dimension_ids(*sink_.chart("system.processes")),
            (std::vector<std::string>{"running", "blocked"}));
  // First collection: only the absolute chart; rates are primed, not emitted.
  EXPECT_EQ(sink_.submit_order, std::vector<std::string>{"system.processes"});
  expect_values(sink_.values("system.processes"), {2, -1}, "processes step1");
  for (const auto& def : sink_.defines) {
    for (const auto& dim : def.dimensions) {
      EXPECT_EQ(dim.algorithm, model::Algorithm::absolute);
      EXPECT_EQ(dim.multiplier, 1);
      EXPECT_EQ(dim.divisor, 1);
    }
  }

  collect(collector, 2, 1);
  EXPECT_TRUE(sink_.defines.empty());
  // guest is taken out of user and guest_nice out of nice, as Netdata does.
  expect_values(sink_.values("system.cpu"), {2.5, 10, 0, 5, 0, 30, 10, 2.5, 5, 35}, "cpu step2");
  expect_values(sink_.values("cpu.cpu0"), {0, 0, 0, 0, 0, 50, 0, 0, 0, 50}, "cpu0 step2");
  expect_values(sink_.values("cpu.cpu1"), {0, 0, 0, 0, 0, 0, 0, 0, 0, 100}, "cpu1 step2");
  expect_values(sink_.values("system.intr"), {1000}, "intr step2");
  expect_values(sink_.values("system.ctxt"), {500}, "ctxt step2");
  expect_values(sink_.values("system.forks"), {10}, "forks step2");
  expect_values(sink_.values("system.processes"), {3, 0}, "processes step2");

  collect(collector, 3, 3);  // two seconds later
  expect_values(sink_.values("system.cpu"), {0, 0, 0, 0, 0, 50, 10, 0, 0, 40}, "cpu step3");
  // cpu0's user counter went backwards: a gap, not a spike.
  expect_values(sink_.values("cpu.cpu0"),
                {kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN}, "cpu0 step3");
  expect_values(sink_.values("cpu.cpu1"), {0, 0, 0, 0, 0, 100, 0, 0, 0, 0}, "cpu1 step3");
  expect_values(sink_.values("system.intr"), {500}, "intr step3");
  expect_values(sink_.values("system.ctxt"), {kNaN}, "ctxt reset step3");
  expect_values(sink_.values("system.forks"), {10}, "forks step3");
  expect_values(sink_.values("system.processes"), {1, -2}, "processes step3");

  collect(collector, 2, 4);  // after the reset the counters were re-primed
  expect_values(sink_.values("system.ctxt"), {259750}, "ctxt re-primed");
  expect_values(sink_.values("cpu.cpu0"), {0, 0, 0, 0, 0, 100, 0, 0, 0, 0}, "cpu0 re-primed");
}

TEST(ElapsedTest, RatesUseTheSecondsBetweenTimestampsSoTheyAddUpToTheCounter) {
  // Collections woken late (11.250) and early in the next second (12.004): the measured
  // intervals are 1.245 s and 0.754 s, the samples' timestamps one second apart each time.
  Elapsed elapsed;
  CounterRate rate;
  EXPECT_EQ(elapsed.advance(10'005'000), 0.0);
  EXPECT_TRUE(std::isnan(rate.update(1000, 0.0)));
  const double first = rate.update(1100, elapsed.advance(11'250'000));
  const double second = rate.update(1200, elapsed.advance(12'004'000));
  EXPECT_EQ(first, 100.0);
  EXPECT_EQ(second, 100.0);
  EXPECT_EQ(elapsed.advance(14'001'000), 2.0);  // a missed tick: two seconds between samples
  EXPECT_EQ(elapsed.advance(14'900'000), 0.0);  // a second collection within one second
}

TEST_F(SystemCollectorsTest, ProcLoadavgEmitsEveryFiveSeconds) {
  ProcLoadavgCollector collector(context());
  collect(collector, 1, 0);
  ASSERT_EQ(sink_.defines.size(), 2u);
  const model::ChartDef& load = sink_.defines[0];
  EXPECT_EQ(load.id, "system.load");
  EXPECT_EQ(load.title, "System Load Average");
  EXPECT_EQ(load.units, "load");
  EXPECT_EQ(load.family, "load");
  EXPECT_EQ(load.priority, 100);
  EXPECT_EQ(load.update_every, 5);  // the kernel computes it every 5 s
  EXPECT_EQ(load.module, "/proc/loadavg");
  EXPECT_EQ(dimension_ids(load), (std::vector<std::string>{"load1", "load5", "load15"}));
  expect_values(sink_.values("system.load"), {0.49, 0.25, 0.13}, "load step1");
  const model::ChartDef& active = sink_.defines[1];
  EXPECT_EQ(active.id, "system.active_processes");
  EXPECT_EQ(active.title, "System Active Processes");
  EXPECT_EQ(active.units, "processes");
  EXPECT_EQ(active.family, "processes");
  EXPECT_EQ(active.priority, 750);
  EXPECT_EQ(active.update_every, 1);
  EXPECT_EQ(dimension_ids(active), std::vector<std::string>{"active"});
  expect_values(sink_.values("system.active_processes"), {111}, "active step1");

  collect(collector, 2, 1);
  EXPECT_FALSE(sink_.submitted("system.load"));
  expect_values(sink_.values("system.active_processes"), {111}, "active step2");
  collect(collector, 3, 5);
  expect_values(sink_.values("system.load"), {0.60, 0.30, 0.15}, "load step3");
  expect_values(sink_.values("system.active_processes"), {112}, "active step3");
}

TEST_F(SystemCollectorsTest, ProcMeminfoChartsRamAvailableAndSwapOnceItExists) {
  ProcMeminfoCollector collector(context());
  collect(collector, 1, 0);
  std::vector<std::string> defined;
  for (const auto& def : sink_.defines) defined.push_back(def.id);
  // No swap, no corrupted memory, no huge pages yet.
  EXPECT_EQ(defined, (std::vector<std::string>{"system.ram", "mem.available", "mem.committed",
                                               "mem.writeback", "mem.kernel", "mem.slab"}));
  const model::ChartDef& committed = *sink_.chart("mem.committed");
  EXPECT_EQ(committed.title, "Committed (Allocated) Memory");
  EXPECT_EQ(committed.family, "system");
  EXPECT_EQ(committed.priority, 1030);
  EXPECT_EQ(committed.chart_type, model::ChartType::area);
  EXPECT_EQ(dimension_ids(committed), std::vector<std::string>{"Committed_AS"});
  EXPECT_EQ(
      dimension_ids(*sink_.chart("mem.writeback")),
      (std::vector<std::string>{"Dirty", "Writeback", "FuseWriteback", "NfsWriteback", "Bounce"}));
  const model::ChartDef& kernel = *sink_.chart("mem.kernel");
  EXPECT_EQ(kernel.title, "Memory Used by Kernel");
  EXPECT_EQ(kernel.family, "kernel");
  EXPECT_EQ(kernel.priority, 1101);
  EXPECT_EQ(kernel.chart_type, model::ChartType::stacked);
  EXPECT_EQ(dimension_ids(*sink_.chart("mem.slab")),
            (std::vector<std::string>{"reclaimable", "unreclaimable"}));
  expect_values(sink_.values("mem.committed"), {3072}, "committed step1");
  expect_values(sink_.values("mem.writeback"), {0, 1, 0, 0, 0}, "writeback step1");
  expect_values(sink_.values("mem.kernel"), {100, 8, 20, 40, 2}, "kernel step1");
  expect_values(sink_.values("mem.slab"), {30000.0 / 1024, 72400.0 / 1024}, "slab step1");
  const model::ChartDef& ram = *sink_.chart("system.ram");
  EXPECT_EQ(ram.title, "System RAM");
  EXPECT_EQ(ram.units, "MiB");
  EXPECT_EQ(ram.family, "ram");
  EXPECT_EQ(ram.chart_type, model::ChartType::stacked);
  EXPECT_EQ(ram.priority, 200);
  EXPECT_EQ(dimension_ids(ram), (std::vector<std::string>{"free", "used", "cached", "buffers"}));
  const model::ChartDef& available = *sink_.chart("mem.available");
  EXPECT_EQ(available.family, "system");
  EXPECT_EQ(available.priority, 1010);
  EXPECT_EQ(available.chart_type, model::ChartType::area);
  ASSERT_EQ(available.dimensions.size(), 1u);
  EXPECT_EQ(available.dimensions[0].id, "MemAvailable");
  EXPECT_EQ(available.dimensions[0].name, "avail");
  // cached includes Slab; used = total - free - cached - buffers.
  expect_values(sink_.values("system.ram"), {4096, 2872, 1124, 100}, "ram step1");
  expect_values(sink_.values("mem.available"), {6144}, "available step1");

  collect(collector, 2, 1);
  ASSERT_TRUE(sink_.defined_now("system.swap"));
  EXPECT_EQ(dimension_ids(*sink_.chart("system.swap")), (std::vector<std::string>{"free", "used"}));
  EXPECT_EQ(sink_.chart("system.swap")->priority, 201);
  expect_values(sink_.values("system.swap"), {1024, 1024}, "swap step2");

  collect(collector, 3, 3);
  expect_values(sink_.values("system.ram"), {3998, 2970, 1124, 100}, "ram step3");
  // Huge pages reserved: 4 pages of 2 MiB, 2 free, 1 reserved.
  ASSERT_TRUE(sink_.defined_now("mem.hugepages"));
  const model::ChartDef& huge = *sink_.chart("mem.hugepages");
  EXPECT_EQ(huge.title, "Dedicated HugePages Memory");
  EXPECT_EQ(huge.priority, 1251);
  EXPECT_EQ(dimension_ids(huge), (std::vector<std::string>{"free", "used", "surplus", "reserved"}));
  expect_values(sink_.values("mem.hugepages"), {4, 2, 0, 2}, "hugepages step3");
}

TEST_F(SystemCollectorsTest, ProcVmstatRatesWithNegativeOutAndResetGap) {
  ProcVmstatCollector collector(context());
  collect(collector, 1, 0);
  // The host has not swapped yet: no swapio.
  ASSERT_EQ(sink_.defines.size(), 3u);
  const model::ChartDef& pgpgio = sink_.defines[0];
  EXPECT_EQ(pgpgio.id, "system.pgpgio");
  EXPECT_EQ(pgpgio.title, "Memory Paged from/to disk");
  EXPECT_EQ(pgpgio.units, "KiB/s");
  EXPECT_EQ(pgpgio.family, "disk");
  EXPECT_EQ(pgpgio.priority, 151);
  EXPECT_EQ(pgpgio.chart_type, model::ChartType::area);
  const model::ChartDef& pgfaults = sink_.defines[1];
  EXPECT_EQ(pgfaults.id, "mem.pgfaults");
  EXPECT_EQ(pgfaults.title, "Memory Page Faults");
  EXPECT_EQ(pgfaults.units, "faults/s");
  EXPECT_EQ(pgfaults.family, "system");
  EXPECT_EQ(pgfaults.priority, 1040);
  EXPECT_EQ(dimension_ids(pgfaults), (std::vector<std::string>{"minor", "major"}));
  const model::ChartDef& oom = sink_.defines[2];
  EXPECT_EQ(oom.id, "mem.oom_kill");
  EXPECT_EQ(oom.title, "Out of Memory Kills");
  EXPECT_EQ(oom.units, "kills/s");
  EXPECT_EQ(oom.priority, 1020);
  EXPECT_EQ(dimension_ids(oom), std::vector<std::string>{"kills"});
  EXPECT_TRUE(sink_.submit_order.empty());

  collect(collector, 2, 1);
  expect_values(sink_.values("system.pgpgio"), {400, -100}, "pgpgio step2");
  ASSERT_TRUE(sink_.defined_now("system.swapio"));
  EXPECT_EQ(sink_.chart("system.swapio")->priority, 250);
  expect_values(sink_.values("system.swapio"), {0, -40}, "swapio step2");  // 10 pages of 4 KiB
  expect_values(sink_.values("mem.pgfaults"), {0, -2}, "pgfaults step2");
  expect_values(sink_.values("mem.oom_kill"), {1}, "oom_kill step2");

  collect(collector, 3, 3);
  expect_values(sink_.values("system.pgpgio"), {kNaN, -100}, "pgpgio step3 (pgpgin reset)");
  expect_values(sink_.values("system.swapio"), {0, -40}, "swapio step3");
  expect_values(sink_.values("mem.pgfaults"), {0, 0}, "pgfaults step3");
  expect_values(sink_.values("mem.oom_kill"), {0}, "oom_kill step3");
}

TEST_F(SystemCollectorsTest, ProcUptimeAndEntropy) {
  ProcUptimeCollector uptime(context());
  ProcEntropyCollector entropy(context());
  const double uptimes[] = {631.22, 632.22, 634.25};
  const double entropies[] = {256, 3800, 256};
  for (int step = 1; step <= 3; ++step) {
    steps_.use_step(step);
    sink_.clear_step();
    ASSERT_TRUE(uptime.collect(kT0 + step * kSecond, sink_).ok());
    ASSERT_TRUE(entropy.collect(kT0 + step * kSecond, sink_).ok());
    expect_values(sink_.values("system.uptime"), {uptimes[step - 1]}, "uptime");
    expect_values(sink_.values("system.entropy"), {entropies[step - 1]}, "entropy");
    EXPECT_EQ(sink_.samples["system.uptime"][0].timestamp, 1'700'000'000 + step);
  }
  const model::ChartDef& up = *sink_.chart("system.uptime");
  EXPECT_EQ(up.title, "System Uptime");
  EXPECT_EQ(up.units, "seconds");
  EXPECT_EQ(up.family, "uptime");
  EXPECT_EQ(up.priority, 1000);
  EXPECT_EQ(dimension_ids(up), std::vector<std::string>{"uptime"});
  const model::ChartDef& ent = *sink_.chart("system.entropy");
  EXPECT_EQ(ent.title, "Available Entropy");
  EXPECT_EQ(ent.units, "entropy");
  EXPECT_EQ(ent.module, "/proc/sys/kernel/random/entropy_avail");
  EXPECT_EQ(dimension_ids(ent), std::vector<std::string>{"entropy"});
}

TEST_F(SystemCollectorsTest, MissingFileIsAnErrorNamingThePath) {
  CollectorContext c = context();
  c.paths.proc = "/nonexistent/proc";
  ProcStatCollector collector(c);
  Status status = collector.collect(kT0, sink_);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().describe().find("/nonexistent/proc/stat"), std::string::npos);
}

}  // namespace
}  // namespace trib::collectors::test
