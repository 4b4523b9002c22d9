#include "parent/store/host_registry.h"

#include <gtest/gtest.h>

#include <cmath>

#include "tests/parent/store/store_test_util.h"

namespace trib::parent::store {
namespace {

using testing::make_chart;
using testing::make_host;

constexpr int64_t kNow = 1'700'000'000;
constexpr const char* kParentGuid = "11111111-1111-4111-8111-111111111111";
constexpr const char* kChildGuid = "22222222-2222-4222-8222-222222222222";

class HostRegistryTest : public ::testing::Test {
 protected:
  HostRegistry registry_{make_host("parent", kParentGuid, 5), StorageConfig{MemoryMode::ram, 60},
                         kNow};

  Host& child(StorageConfig storage = {MemoryMode::ram, 60}) {
    auto host = registry_.connect(make_host("child", kChildGuid, 1), storage, kNow);
    EXPECT_TRUE(host.ok());
    return **host;
  }

  static double value_at(const Chart& chart, size_t dim, int64_t t) {
    double v = 0;
    chart.series().read(dim, t, std::span<double>(&v, 1));
    return v;
  }
};

TEST_F(HostRegistryTest, OwnHostIsRegisteredWithHopsZeroAndAlwaysReachable) {
  ASSERT_EQ(registry_.hosts().size(), 1u);
  const Host& own = registry_.localhost();
  EXPECT_EQ(own.info().hops, 0);
  EXPECT_TRUE(own.reachable());
  EXPECT_TRUE(own.is_localhost());
  registry_.disconnect(kParentGuid, kNow);
  EXPECT_TRUE(own.reachable());
}

TEST_F(HostRegistryTest, LookupByHostnameThenGuid) {
  Host& c = child();
  EXPECT_EQ(registry_.find("child"), &c);
  EXPECT_EQ(registry_.find(kChildGuid), &c);
  EXPECT_EQ(registry_.find("parent"), &registry_.localhost());
  EXPECT_EQ(registry_.find("nobody"), nullptr);
  // A host named like another's GUID wins: hostnames are looked up first.
  auto odd =
      registry_.connect(make_host(kChildGuid, "33333333-3333-4333-8333-333333333333"), {}, kNow);
  ASSERT_TRUE(odd.ok());
  EXPECT_EQ(registry_.find(kChildGuid), *odd);
}

TEST_F(HostRegistryTest, ConnectDisconnectKeepsHostListedAndTracksTimes) {
  Host& c = child();
  EXPECT_TRUE(c.reachable());
  EXPECT_EQ(c.connected_since_s(), kNow);
  EXPECT_EQ(c.info().hops, 1);
  registry_.disconnect(kChildGuid, kNow + 10);
  EXPECT_FALSE(c.reachable());
  EXPECT_EQ(c.disconnected_at_s(), kNow + 10);
  EXPECT_EQ(registry_.hosts().size(), 2u);

  auto again = registry_.connect(make_host("child-renamed", kChildGuid, 2), {MemoryMode::ram, 60},
                                 kNow + 20);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, &c);
  EXPECT_TRUE(c.reachable());
  EXPECT_EQ(c.connected_since_s(), kNow + 20);
  EXPECT_EQ(c.disconnected_at_s(), 0);
  EXPECT_EQ(c.hostname(), "child-renamed");
  EXPECT_EQ(registry_.hosts().size(), 2u);
}

TEST_F(HostRegistryTest, ChildWithTheParentsGuidIsRefused) {
  auto host = registry_.connect(make_host("evil", kParentGuid), {}, kNow);
  ASSERT_FALSE(host.ok());
  EXPECT_TRUE(host.error().is(Errc::refused));
  EXPECT_FALSE(registry_.connect(make_host("noguid", ""), {}, kNow).ok());
}

TEST_F(HostRegistryTest, StoreAlignsTimestampsAndIgnoresDuplicatesAndLateSamples) {
  Host& c = child();
  ASSERT_TRUE(c.define_chart(make_chart("system.load", {"load1"}, 2)).ok());
  EXPECT_EQ(*c.store("system.load", {kNow + 1, {1.0}}), StoreOutcome::stored);  // -> kNow
  EXPECT_EQ(*c.store("system.load", {kNow, {9.0}}), StoreOutcome::ignored_late);
  EXPECT_EQ(*c.store("system.load", {kNow + 2, {2.0}}), StoreOutcome::stored);
  EXPECT_EQ(*c.store("system.load", {kNow + 3, {9.0}}), StoreOutcome::ignored_late);
  EXPECT_EQ(c.stats().samples_stored, 2u);
  EXPECT_EQ(c.stats().samples_ignored_late, 2u);
  const Chart& chart = *c.find_chart("system.load");
  EXPECT_EQ(chart.ignored_late(), 2u);
  EXPECT_EQ(value_at(chart, 0, kNow), 1.0);
  EXPECT_EQ(value_at(chart, 0, kNow + 2), 2.0);
  EXPECT_EQ(chart.last_value(0), 2.0);
  EXPECT_EQ(c.last_data_s(), kNow + 3 - 1);
}

TEST_F(HostRegistryTest, NanValuesAndMissedCollectionsAreGaps) {
  Host& c = child();
  ASSERT_TRUE(c.define_chart(make_chart("system.cpu", {"user", "system"})).ok());
  ASSERT_TRUE(c.store("system.cpu", {kNow, {1.0, model::kNoValue}}).ok());
  ASSERT_TRUE(c.store("system.cpu", {kNow + 3, {4.0, 4.5}}).ok());
  const Chart& chart = *c.find_chart("system.cpu");
  EXPECT_TRUE(std::isnan(value_at(chart, 1, kNow)));
  EXPECT_TRUE(std::isnan(value_at(chart, 0, kNow + 1)));
  EXPECT_TRUE(std::isnan(value_at(chart, 1, kNow + 2)));
  EXPECT_EQ(value_at(chart, 1, kNow + 3), 4.5);
}

TEST_F(HostRegistryTest, BadDefinitionsAndSamplesAreErrors) {
  Host& c = child();
  EXPECT_FALSE(c.define_chart(make_chart("", {"a"})).ok());
  EXPECT_FALSE(c.define_chart(make_chart("x.y", {})).ok());
  EXPECT_FALSE(c.define_chart(make_chart("x.y", {"a", "a"})).ok());
  auto missing = c.store("no.chart", {kNow, {1.0}});
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.error().is(Errc::not_found));
  ASSERT_TRUE(c.define_chart(make_chart("x.y", {"a", "b"})).ok());
  EXPECT_TRUE(c.store("x.y", {kNow, {1.0}}).error().is(Errc::invalid_argument));
  EXPECT_TRUE(c.store("x.y", {0, {1.0, 2.0}}).error().is(Errc::invalid_argument));
}

TEST_F(HostRegistryTest, IdsThatAreTooLongOrHoldControlCharactersAreRefused) {
  Host& c = child();
  auto refused = [&](const model::ChartDef& def) {
    const Status status = c.define_chart(def);
    EXPECT_TRUE(status.error().is(Errc::invalid_argument)) << def.id;
    return status.error().message;
  };
  const std::string longest(kMaxIdBytes, 'x');
  EXPECT_TRUE(c.define_chart(make_chart(longest, {longest})).ok());
  EXPECT_EQ(refused(make_chart(longest + "x", {"a"})),
            "chart id '" + std::string(64, 'x') + "...' is 201 bytes long (at most 200)");
  EXPECT_EQ(
      refused(make_chart("x.y", {"a", longest + "y"})),
      "chart x.y: dimension id '" + std::string(64, 'x') + "...' is 201 bytes long (at most 200)");
  EXPECT_EQ(refused(make_chart("x\ty", {"a"})),
            "chart id 'x?y' has the control character 0x09 at byte 1");
  EXPECT_EQ(refused(make_chart("x.y", {"a\x7f"})),
            "chart x.y: dimension id 'a?' has the control character 0x7f at byte 1");
  auto named = make_chart("x.y", {"a"});
  named.name = "x\ny";
  EXPECT_EQ(refused(named), "chart x.y: name has the control character 0x0a at byte 1");
  named = make_chart("x.y", {"a"});
  named.dimensions[0].name = "bad\r";
  EXPECT_EQ(refused(named),
            "chart x.y: name of dimension 'a' has the control character 0x0d at byte 3");
  EXPECT_EQ(c.charts().size(), 1u);
  // UTF-8 is fine.
  EXPECT_TRUE(c.define_chart(make_chart("disk.caf\xC3\xA9", {"r\xC3\xA9"
                                                             "ad"}))
                  .ok());
}

TEST_F(HostRegistryTest, OrphansAreDisconnectedLongEnoughAndForgetRemovesThem) {
  child();
  auto other = registry_.connect(make_host("other", "33333333-3333-4333-8333-333333333333"),
                                 {MemoryMode::ram, 60}, kNow);
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(registry_.orphans(kNow + 1000, 10).empty());  // both connected
  registry_.disconnect(kChildGuid, kNow + 100);
  EXPECT_TRUE(registry_.orphans(kNow + 109, 10).empty());
  EXPECT_EQ(registry_.orphans(kNow + 110, 10), std::vector<std::string>{kChildGuid});
  EXPECT_FALSE(registry_.forget(kParentGuid));  // never the parent's own host
  EXPECT_FALSE(registry_.forget("33333333-3333-4333-8333-333333333333"));  // connected
  EXPECT_FALSE(registry_.forget("nobody"));
  EXPECT_TRUE(registry_.forget(kChildGuid));
  EXPECT_EQ(registry_.find("child"), nullptr);
  EXPECT_EQ(registry_.find_by_guid(kChildGuid), nullptr);
  EXPECT_EQ(registry_.hosts().size(), 2u);
  // It may come back, as a new host.
  Host& again = child();
  EXPECT_TRUE(again.charts().empty());
  EXPECT_TRUE(again.reachable());
}

TEST_F(HostRegistryTest, RedefinitionAppendsNewDimensionsAndKeepsData) {
  Host& c = child();
  ASSERT_TRUE(c.define_chart(make_chart("system.cpu", {"user", "system"})).ok());
  ASSERT_TRUE(c.store("system.cpu", {kNow, {1.0, 2.0}}).ok());
  auto def = make_chart("system.cpu", {"system", "iowait", "user"});
  def.dimensions[0].name = "sys";
  ASSERT_TRUE(c.define_chart(def).ok());
  ASSERT_TRUE(c.store("system.cpu", {kNow + 1, {20.0, 30.0, 10.0}}).ok());

  const Chart& chart = *c.find_chart("system.cpu");
  ASSERT_EQ(chart.dimensions().size(), 3u);
  EXPECT_EQ(chart.dimensions()[0].def.id, "user");
  EXPECT_EQ(chart.dimensions()[1].def.id, "system");
  EXPECT_EQ(chart.dimensions()[1].def.name, "sys");
  EXPECT_EQ(chart.dimensions()[2].def.id, "iowait");
  EXPECT_EQ(value_at(chart, 0, kNow), 1.0);
  EXPECT_EQ(value_at(chart, 0, kNow + 1), 10.0);
  EXPECT_EQ(value_at(chart, 1, kNow + 1), 20.0);
  EXPECT_TRUE(std::isnan(value_at(chart, 2, kNow)));
  EXPECT_EQ(value_at(chart, 2, kNow + 1), 30.0);
}

TEST_F(HostRegistryTest, RemovedDimensionBecomesObsoleteUntilItsDataAgesOut) {
  Host& c = child({MemoryMode::ram, 3});
  ASSERT_TRUE(c.define_chart(make_chart("net.eth0", {"in", "out"})).ok());
  ASSERT_TRUE(c.store("net.eth0", {kNow, {1.0, 2.0}}).ok());
  ASSERT_TRUE(c.define_chart(make_chart("net.eth0", {"in"})).ok());
  const Chart& chart = *c.find_chart("net.eth0");
  ASSERT_EQ(chart.dimensions().size(), 2u);
  EXPECT_TRUE(chart.dimensions()[1].obsolete);
  ASSERT_TRUE(c.store("net.eth0", {kNow + 1, {3.0}}).ok());
  ASSERT_TRUE(c.store("net.eth0", {kNow + 2, {4.0}}).ok());
  EXPECT_EQ(chart.dimensions().size(), 2u);
  EXPECT_EQ(value_at(chart, 1, kNow), 2.0);
  EXPECT_TRUE(std::isnan(value_at(chart, 1, kNow + 1)));
  ASSERT_TRUE(c.store("net.eth0", {kNow + 3, {5.0}}).ok());  // kNow's slot is gone now
  ASSERT_EQ(chart.dimensions().size(), 1u);
  EXPECT_EQ(value_at(chart, 0, kNow + 3), 5.0);
  // Defining it again brings it back, with no past.
  ASSERT_TRUE(c.define_chart(make_chart("net.eth0", {"in", "out"})).ok());
  ASSERT_EQ(chart.dimensions().size(), 2u);
  EXPECT_FALSE(chart.dimensions()[1].obsolete);
}

TEST_F(HostRegistryTest, UpdateEveryChangeRestartsTheSamples) {
  Host& c = child();
  ASSERT_TRUE(c.define_chart(make_chart("a.b", {"x"}, 1)).ok());
  ASSERT_TRUE(c.store("a.b", {kNow, {1.0}}).ok());
  ASSERT_TRUE(c.define_chart(make_chart("a.b", {"x"}, 5)).ok());
  const Chart& chart = *c.find_chart("a.b");
  EXPECT_EQ(chart.series().last_time_s(), 0);
  EXPECT_EQ(chart.series().update_every(), 5);
  EXPECT_EQ(*c.store("a.b", {kNow, {2.0}}), StoreOutcome::stored);
}

TEST_F(HostRegistryTest, MemoryModeNoneKeepsDefinitionsButNoSamples) {
  Host& c = child({MemoryMode::none, 60});
  ASSERT_TRUE(c.define_chart(make_chart("system.cpu", {"user"})).ok());
  EXPECT_EQ(*c.store("system.cpu", {kNow, {1.0}}), StoreOutcome::stored);
  EXPECT_EQ(*c.store("system.cpu", {kNow, {1.0}}), StoreOutcome::ignored_late);
  const Chart& chart = *c.find_chart("system.cpu");
  EXPECT_EQ(chart.series().first_time_s(), 0);
  EXPECT_EQ(chart.series().last_time_s(), 0);
  EXPECT_TRUE(std::isnan(chart.last_value(0)));
  EXPECT_EQ(chart.series().memory_bytes(), 0u);
  // Removing a dimension in none mode drops it at once: it has no data to keep.
  ASSERT_TRUE(c.define_chart(make_chart("system.cpu", {"system"})).ok());
  ASSERT_EQ(chart.dimensions().size(), 1u);
  EXPECT_EQ(chart.dimensions()[0].def.id, "system");
}

TEST_F(HostRegistryTest, StorageChangeOnReconnectDropsSamplesKeepsCharts) {
  Host& c = child({MemoryMode::ram, 60});
  ASSERT_TRUE(c.define_chart(make_chart("a.b", {"x"})).ok());
  ASSERT_TRUE(c.store("a.b", {kNow, {1.0}}).ok());
  ASSERT_TRUE(registry_.connect(make_host("child", kChildGuid), {MemoryMode::ram, 120}, kNow).ok());
  ASSERT_NE(c.find_chart("a.b"), nullptr);
  EXPECT_EQ(c.find_chart("a.b")->series().last_time_s(), 0);
}

TEST(MemoryModeTest, ParsesNoneRamAndDbengine) {
  EXPECT_EQ(*parse_memory_mode("ram"), MemoryMode::ram);
  EXPECT_EQ(*parse_memory_mode("none"), MemoryMode::none);
  EXPECT_EQ(*parse_memory_mode("dbengine"), MemoryMode::dbengine);
  EXPECT_FALSE(parse_memory_mode("save").ok());
  EXPECT_FALSE(parse_memory_mode("disk").ok());
  EXPECT_EQ(to_string(MemoryMode::none), "none");
  EXPECT_EQ(to_string(MemoryMode::dbengine), "dbengine");
}

TEST(MemoryModeTest, NetdataAliasesMapWithAWarning) {
  std::string warning;
  EXPECT_EQ(*parse_netdata_memory_mode("dbengine", warning), MemoryMode::dbengine);
  EXPECT_TRUE(warning.empty());
  EXPECT_EQ(*parse_netdata_memory_mode("save", warning), MemoryMode::dbengine);
  EXPECT_EQ(warning, "memory mode 'save' is an alias of 'dbengine' here");
  EXPECT_EQ(*parse_netdata_memory_mode("map", warning), MemoryMode::dbengine);
  EXPECT_EQ(*parse_netdata_memory_mode("alloc", warning), MemoryMode::ram);
  EXPECT_EQ(warning, "memory mode 'alloc' is an alias of 'ram' here");
  EXPECT_FALSE(parse_netdata_memory_mode("disk", warning).ok());
}

}  // namespace
}  // namespace trib::parent::store
