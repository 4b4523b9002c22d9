// Every registered collector runs on this machine's real /proc and /sys and emits charts.

#include <iostream>
#include <set>

#include "common/collectors/collector.h"
#include "tests/common/collectors/collector_test_support.h"

namespace trib::collectors::test {
namespace {

TEST(RegistryTest, NamesAreUniqueAndDescribed) {
  std::set<std::string_view> names;
  for (const CollectorInfo& info : registry()) {
    EXPECT_TRUE(names.insert(info.name).second) << info.name;
    EXPECT_FALSE(info.description.empty()) << info.name;
    EXPECT_NE(info.create, nullptr) << info.name;
  }
  EXPECT_EQ(names.size(), 21u);
}

TEST(RegistryTest, EveryCollectorWorksOnThisHost) {
  CollectorContext context = host_context("tributary-agent", {}, 1);
  for (const CollectorInfo& info : registry()) {
    SCOPED_TRACE(std::string(info.name));
    std::unique_ptr<Collector> collector = info.create(context);
    ASSERT_NE(collector, nullptr);
    RecordingSink sink;
    Status first = collector->collect(kT0, sink);
    ASSERT_TRUE(first.ok()) << first.error().describe();
    Status second = collector->collect(kT0 + kSecond, sink);
    ASSERT_TRUE(second.ok()) << second.error().describe();
    // Drivers a host may not have loaded: their collectors chart nothing there.
    const bool optional = info.name == "proc.net_stat_conntrack" || info.name == "sys.block_zram";
    if (!optional) {
      EXPECT_FALSE(sink.defines.empty());
      EXPECT_FALSE(sink.samples.empty());
    }
    size_t dimensions = 0;
    for (const auto& [id, def] : sink.charts) dimensions += def.dimensions.size();
    // What each collector costs in series on this host (read by the footprint benchmark notes).
    std::cout << "[ collector ] " << info.name << ": " << sink.charts.size() << " charts, "
              << dimensions << " dimensions\n";
    for (const auto& [id, samples] : sink.samples) {
      const model::ChartDef* def = sink.chart(id);
      ASSERT_NE(def, nullptr) << "submitted before defined: " << id;
      for (const auto& sample : samples) {
        EXPECT_EQ(sample.values.size(), def->dimensions.size()) << id;
      }
    }
  }
}

}  // namespace
}  // namespace trib::collectors::test
