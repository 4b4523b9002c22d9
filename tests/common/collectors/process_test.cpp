// The process collector over tests/fixtures/proc/process: the agent itself (pid 4242), a comm
// group (two nginx processes, one exits at step 3), a cmdline regex group (postgres, whose io is
// unreadable) and a pidfile group (pid 300, reused by another process at step 3).

#include <fcntl.h>
#include <unistd.h>

#include <limits>

#include "common/collectors/chart_util.h"
#include "common/collectors/process.h"
#include "tests/common/collectors/collector_test_support.h"

namespace trib::collectors::test {
namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

ProcessMatch match(std::string name, std::string comm, std::string cmdline, std::string pidfile) {
  return ProcessMatch{std::move(name), std::move(comm), std::move(cmdline), std::move(pidfile)};
}

class ProcessCollectorTest : public CollectorFixtureTest {
 protected:
  ProcessCollectorTest() : CollectorFixtureTest("process") {}
  CollectorContext context() const {
    CollectorContext c;
    c.paths = steps_.paths();
    c.self_pid = 4242;
    c.clock_ticks_per_second = 100;
    c.page_size = 4096;
    c.processes = {
        match("web", "nginx", "", ""),
        match("db", "", "^postgres ", ""),
        match("app", "", "", (steps_.current() / "run" / "app.pid").string()),
    };
    return c;
  }
};

TEST_F(ProcessCollectorTest, GroupsSumTheirProcesses) {
  steps_.use_step(1);
  ProcessCollector collector(context());
  collect(collector, 1, 0);

  std::vector<std::string> defined;
  for (const auto& def : sink_.defines) defined.push_back(def.id);
  EXPECT_EQ(defined,
            (std::vector<std::string>{"apps.cpu", "apps.mem", "apps.threads", "apps.processes",
                                      "apps.files", "apps.preads", "apps.pwrites"}));
  model::ChartDef cpu;
  cpu.id = "apps.cpu";
  cpu.title = "Apps CPU Time (100% = 1 core)";
  cpu.units = "percentage";
  cpu.family = "cpu";
  cpu.context = "apps.cpu";
  cpu.chart_type = model::ChartType::stacked;
  cpu.priority = 20001;
  cpu.plugin = "apps.plugin";
  cpu.dimensions = {dimension("tributary-agent"), dimension("web"), dimension("db"),
                    dimension("app")};
  EXPECT_EQ(*sink_.chart("apps.cpu"), cpu);
  EXPECT_EQ(sink_.chart("apps.mem")->units, "MiB");
  EXPECT_EQ(sink_.chart("apps.mem")->title, "Apps Real Memory (w/o shared)");
  EXPECT_EQ(sink_.chart("apps.files")->units, "open files");
  EXPECT_EQ(sink_.chart("apps.preads")->units, "KiB/s");
  EXPECT_EQ(sink_.chart("apps.preads")->priority, 20002);
  EXPECT_EQ(sink_.chart("apps.threads")->priority, 20005);

  // Rates need a second collection.
  EXPECT_EQ(sink_.submit_order,
            (std::vector<std::string>{"apps.mem", "apps.threads", "apps.processes", "apps.files"}));
  // mem: (resident - shared) pages of 4 KiB.
  expect_values(sink_.values("apps.mem"), {3.90625, 12, 0, 1}, "mem step1");
  expect_values(sink_.values("apps.threads"), {3, 3, 1, 1}, "threads step1");
  expect_values(sink_.values("apps.processes"), {1, 2, 1, 1}, "processes step1");  // not sshd
  expect_values(sink_.values("apps.files"), {4, 5, 1, 1}, "files step1");

  collect(collector, 2, 1);
  expect_values(sink_.values("apps.cpu"), {4, 35, 0, 10}, "cpu step2");
  // postgres has no readable io: a gap for its group, not a zero.
  expect_values(sink_.values("apps.preads"), {4, 10, kNaN, 0}, "preads step2");
  expect_values(sink_.values("apps.pwrites"), {2, 0, kNaN, 0}, "pwrites step2");

  collect(collector, 3, 3);  // two seconds later; nginx 101 exited; pid 300 was reused
  expect_values(sink_.values("apps.cpu"), {2, 15, 0, 0}, "cpu step3");
  expect_values(sink_.values("apps.mem"), {3.90625, 8, 0, 0}, "mem step3");
  expect_values(sink_.values("apps.threads"), {3, 1, 1, 0}, "threads step3");
  expect_values(sink_.values("apps.processes"), {1, 1, 1, 0}, "processes step3");
  expect_values(sink_.values("apps.files"), {4, 3, 1, 0}, "files step3");
  expect_values(sink_.values("apps.preads"), {0, 0, kNaN, 0}, "preads step3");
}

TEST_F(ProcessCollectorTest, InvalidRegexMatchesNothing) {
  steps_.use_step(1);
  CollectorContext c = context();
  c.processes = {match("broken", "", "(unclosed", "")};
  ProcessCollector collector(c);
  collect(collector, 1, 0);
  expect_values(sink_.values("apps.processes"), {1, 0}, "broken regex group is empty");
}

// On the real /proc, the descriptors kept open between rounds see the process as it is now:
// files opened and closed, CPU used, threads started.
TEST(ProcessCollectorOnProc, KeptDescriptorsFollowTheLiveProcess) {
  CollectorContext c = host_context("tributary-agent", {}, 1);
  ProcessCollector collector(c);
  RecordingSink sink;
  // The first round opens the descriptors it keeps; the second one counts them too.
  ASSERT_TRUE(collector.collect(kT0, sink).ok());
  sink.clear_step();
  ASSERT_TRUE(collector.collect(kT0 + kSecond / 2, sink).ok());
  const double files_before = sink.values("apps.files").at(0);
  EXPECT_GE(files_before, 3) << "stdin, stdout, stderr at least";

  std::vector<int> opened;
  for (int i = 0; i < 10; ++i) opened.push_back(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  sink.clear_step();
  ASSERT_TRUE(collector.collect(kT0 + kSecond, sink).ok());
  EXPECT_EQ(sink.values("apps.files").at(0), files_before + 10);
  EXPECT_EQ(sink.values("apps.processes").at(0), 1);

  for (int fd : opened) ::close(fd);
  sink.clear_step();
  ASSERT_TRUE(collector.collect(kT0 + 2 * kSecond, sink).ok());
  EXPECT_EQ(sink.values("apps.files").at(0), files_before);
}

}  // namespace
}  // namespace trib::collectors::test
