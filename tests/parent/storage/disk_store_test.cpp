#include "parent/storage/disk_store.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "common/lmdb/lmdb.h"
#include "parent/storage/db_series.h"
#include "parent/storage/layout.h"
#include "parent/store/host_registry.h"
#include "tests/support/loop_fixture.h"

namespace trib::parent::storage {
namespace {

constexpr const char* kGuid = "11111111-2222-3333-4444-555555555555";
constexpr int64_t kStart = 1'700'000'000;

model::DimensionDef dim(const char* id) {
  model::DimensionDef d;
  d.id = id;
  return d;
}

class DiskStoreTest : public test::LoopTest {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("trib-disk-store-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    options_.path = dir_.string();
    options_.flush_interval = std::chrono::milliseconds(0);  // flush only when the test says
  }
  void TearDown() override {
    store_.reset();
    test::LoopTest::TearDown();
    std::filesystem::remove_all(dir_);
  }

  void open() {
    auto opened = DiskStore::open(loop_, options_);
    ASSERT_TRUE(opened.ok()) << opened.error().describe();
    store_ = std::move(opened).value();
  }
  // Flushes and runs the loop until the batch committed.
  void commit() {
    const uint64_t ticket = store_->flush();
    bool done = false;
    store_->when_committed(ticket, [&] { done = true; });
    run_until([&] { return done; });
  }
  std::vector<double> read(const store::SeriesReader& series, size_t dim, int64_t after, size_t n) {
    std::vector<double> out(n);
    series.read(dim, after, out);
    return out;
  }

  std::filesystem::path dir_;
  DiskStoreOptions options_;
  std::unique_ptr<DiskStore> store_;
};

TEST_F(DiskStoreTest, SamplesReadBackFromOpenSealedAndCommittedBlocks) {
  options_.block_samples = 100;
  open();
  DbChartSeries series(*store_, kGuid, "system.cpu", 1);
  series.add_dimension("user");
  series.add_dimension("system");
  for (int i = 0; i < 250; ++i) {
    const double row[] = {i * 0.5, i % 7 == 0 ? NAN : 100.0 - i};
    series.append(kStart + i, row);
  }
  EXPECT_EQ(series.first_time_s(), kStart);
  EXPECT_EQ(series.last_time_s(), kStart + 249);
  // Before the commit: sealed blocks in flight and the open block are both visible.
  auto user = read(series, 0, kStart - 10, 270);
  EXPECT_TRUE(std::isnan(user[0]));
  EXPECT_EQ(user[10], 0.0);
  EXPECT_EQ(user[10 + 249], 124.5);
  EXPECT_TRUE(std::isnan(user[10 + 250]));
  commit();
  auto system = read(series, 1, kStart + 95, 10);  // across the first block boundary
  for (int i = 0; i < 10; ++i) {
    const int t = 95 + i;
    if (t % 7 == 0) {
      EXPECT_TRUE(std::isnan(system[i])) << t;
    } else {
      EXPECT_EQ(system[i], 100.0 - t) << t;
    }
  }
  EXPECT_EQ(store_->stats().blocks_sealed, 4u);  // two per dimension; the rest is open
}

TEST_F(DiskStoreTest, CommittedSamplesSurviveACrashThroughTheJournal) {
  open();
  // What a DbChartSeries does for rows whose block is still open, with no seal ever following:
  // the state a kill -9 leaves behind.
  const uint32_t ids[] = {store_->series_id(kGuid, "system.load", "load1")};
  model::HostInfo host;
  host.machine_guid = kGuid;
  host.hostname = "child";
  store_->save_host(host);
  model::ChartDef def;
  def.id = "system.load";
  def.update_every = 1;
  def.dimensions.push_back(dim("load1"));
  store_->save_chart(kGuid, def);
  store_->pin(store_->pending_ticket());  // an open block holds the journal from here on
  for (int i = 0; i < 30; ++i) {
    const double row[] = {i * 1.25};
    store_->journal(kStart + i, ids, row);
  }
  store_->save_progress(kGuid, 42);
  commit();
  store_.reset();

  open();
  auto restored = store_->take_restored();
  ASSERT_EQ(restored.size(), 1u);
  EXPECT_EQ(restored[0].info.hostname, "child");
  EXPECT_EQ(restored[0].last_seq, 42u);
  ASSERT_EQ(restored[0].charts.size(), 1u);
  EXPECT_EQ(restored[0].charts[0].id, "system.load");
  DbChartSeries series(*store_, kGuid, "system.load", 1);
  series.add_dimension("load1");
  EXPECT_EQ(series.first_time_s(), kStart);
  EXPECT_EQ(series.last_time_s(), kStart + 29);
  const auto values = read(series, 0, kStart, 30);
  for (int i = 0; i < 30; ++i) EXPECT_EQ(values[i], i * 1.25) << i;
}

TEST_F(DiskStoreTest, ARegistryRestoredFromDiskDropsResentSamples) {
  open();
  store::StorageConfig dbengine{store::MemoryMode::dbengine, 3600, store_.get()};
  model::HostInfo self;
  self.machine_guid = "99999999-2222-3333-4444-555555555555";
  model::HostInfo child;
  child.machine_guid = kGuid;
  child.hostname = "child";
  model::ChartDef def;
  def.id = "net.eth0";
  def.update_every = 1;
  def.dimensions = {dim("in"), dim("out")};
  {
    store::HostRegistry registry(self, dbengine, kStart);
    auto host = registry.connect(child, dbengine, kStart);
    ASSERT_TRUE(host.ok());
    ASSERT_TRUE((*host)->define_chart(def).ok());
    for (int i = 0; i < 20; ++i) {
      ASSERT_TRUE(
          (*host)->store("net.eth0", model::ChartSample{kStart + i, {1.0 * i, 2.0 * i}}).ok());
    }
  }  // the registry goes first and seals its blocks into the last batch
  store_.reset();

  open();
  dbengine.disk = store_.get();
  store::HostRegistry registry(self, dbengine, kStart);
  for (const auto& h : store_->take_restored()) {
    ASSERT_TRUE(registry.restore(h.info, h.charts, dbengine, kStart).ok());
  }
  store::Host* host = registry.find("child");
  ASSERT_NE(host, nullptr);
  EXPECT_FALSE(host->reachable());
  const store::Chart* chart = host->find_chart("net.eth0");
  ASSERT_NE(chart, nullptr);
  EXPECT_EQ(chart->series().last_time_s(), kStart + 19);
  // A sender resending after the restart: its old rows are dropped, new ones kept.
  auto resent = host->store("net.eth0", model::ChartSample{kStart + 19, {0.0, 0.0}});
  ASSERT_TRUE(resent.ok());
  EXPECT_EQ(*resent, store::StoreOutcome::ignored_late);
  ASSERT_TRUE(host->store("net.eth0", model::ChartSample{kStart + 20, {20.0, 40.0}}).ok());
  const auto out = read(chart->series(), 1, kStart + 18, 3);
  EXPECT_EQ(out, (std::vector<double>{36.0, 38.0, 40.0}));
}

TEST_F(DiskStoreTest, DeleteHostRemovesEveryRecordOfThatHostOnly) {
  open();
  store::StorageConfig dbengine{store::MemoryMode::dbengine, 3600, store_.get()};
  model::HostInfo self;
  self.machine_guid = "99999999-2222-3333-4444-555555555555";
  constexpr const char* kKeptGuid = "11111111-2222-3333-4444-666666666666";
  model::ChartDef def;
  def.id = "net.eth0";
  def.update_every = 1;
  def.dimensions = {dim("in"), dim("out")};
  uint32_t gone_in = 0;
  uint32_t gone_out = 0;
  {
    store::HostRegistry registry(self, dbengine, kStart);
    for (const char* guid : {kGuid, kKeptGuid}) {
      model::HostInfo child;
      child.machine_guid = guid;
      child.hostname = guid == kGuid ? "gone" : "kept";
      auto host = registry.connect(child, dbengine, kStart);
      ASSERT_TRUE(host.ok());
      ASSERT_TRUE((*host)->define_chart(def).ok());
      for (int i = 0; i < 20; ++i) {
        ASSERT_TRUE((*host)->store("net.eth0", model::ChartSample{kStart + i, {1.0, 2.0}}).ok());
      }
      store_->save_progress(guid, 7);
    }
    commit();
    gone_in = store_->series_id(kGuid, "net.eth0", "in");
    gone_out = store_->series_id(kGuid, "net.eth0", "out");
    registry.disconnect(kGuid, kStart + 30);
    ASSERT_TRUE(registry.forget(kGuid));  // seals the host's open blocks into the pending batch
    store_->delete_host(kGuid);
    EXPECT_EQ(store_->stats().series, 2u);
    commit();
  }
  store_.reset();

  open();
  dbengine.disk = store_.get();
  const auto restored = store_->take_restored();
  ASSERT_EQ(restored.size(), 1u);
  EXPECT_EQ(restored[0].info.machine_guid, kKeptGuid);
  EXPECT_EQ(restored[0].last_seq, 7u);
  EXPECT_EQ(restored[0].charts.size(), 1u);
  // The kept host's series still read back; the deleted host's blocks are gone, and its names
  // get new series ids.
  store::HostRegistry registry(self, dbengine, kStart);
  ASSERT_TRUE(registry.restore(restored[0].info, restored[0].charts, dbengine, kStart).ok());
  EXPECT_EQ(registry.find("kept")->find_chart("net.eth0")->series().last_time_s(), kStart + 19);
  EXPECT_EQ(store_->extent(gone_in).last_s, 0);
  EXPECT_EQ(store_->extent(gone_out).last_s, 0);
  EXPECT_EQ(store_->stats().series, 2u);
  EXPECT_NE(store_->series_id(kGuid, "net.eth0", "in"), gone_in);
}

TEST_F(DiskStoreTest, AForeignLmdbEnvironmentIsRefused) {
  {
    auto env = lmdb::Env::open({.path = dir_.string()});
    ASSERT_TRUE(env.ok());
    auto txn = lmdb::Txn::begin_write(*env);
    ASSERT_TRUE(txn.ok());
    auto dbi = lmdb::Dbi::open(*txn, "spool", MDB_CREATE);
    ASSERT_TRUE(dbi.ok());
    ASSERT_TRUE(lmdb::put(*txn, *dbi, "k", "v").ok());
    ASSERT_TRUE(txn->commit().ok());
  }
  auto opened = DiskStore::open(loop_, options_);
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.error().message.find("not a Tributary dbengine store"), std::string::npos)
      << opened.error().message;
  EXPECT_NE(opened.error().message.find(dir_.string()), std::string::npos);
}

TEST_F(DiskStoreTest, ACorruptDataFileIsRefused) {
  std::filesystem::create_directories(dir_);
  std::ofstream(dir_ / "data.mdb") << std::string(64 * 1024, 'x');
  auto opened = DiskStore::open(loop_, options_);
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.error().message.find("corrupt or foreign"), std::string::npos)
      << opened.error().message;
}

TEST_F(DiskStoreTest, AFullMapHoldsBatchesBackWithoutCrashing) {
  options_.max_size = 1u << 20;
  options_.map_headroom = 0;
  options_.max_age = std::chrono::seconds(0);
  options_.max_inflight_bytes = 1u << 30;
  open();
  const uint32_t ids[] = {store_->series_id(kGuid, "big.chart", "x")};
  store_->pin(store_->pending_ticket());
  bool committed = false;
  // Incompressible-ish rows until a commit no longer fits.
  for (int round = 0; round < 40 && !store_->congested(); ++round) {
    for (int i = 0; i < 20000; ++i) {
      const double row[] = {std::sin(round * 20000.0 + i) * 1e6};
      store_->journal(kStart + round * 20000 + i, ids, row);
    }
    const uint64_t ticket = store_->flush();
    store_->when_committed(ticket, [&] { committed = true; });
    committed = false;
    run_until([&] { return committed || store_->congested(); });
  }
  EXPECT_TRUE(store_->congested());
  EXPECT_TRUE(store_->stats().full);
  EXPECT_FALSE(committed);  // the batch that did not fit is not acknowledged
}

// A full map holds batches back (not acknowledged, senders paused) until retention makes room;
// then the held batches commit, in order, and later ones as well. Here the blocks outgrow
// max_size between two retention passes until the map is full.
TEST_F(DiskStoreTest, AfterAFullMapHeldBatchesCommitOnceRetentionMakesRoom) {
  options_.max_size = 1u << 20;
  options_.map_headroom = 1u << 20;
  options_.max_age = std::chrono::seconds(0);
  options_.max_inflight_bytes = 1u << 30;
  options_.retention_interval = std::chrono::hours(1);  // only when the test runs it
  open();
  // Sealed blocks of noise (about 2 KiB each), 16 series per batch, until one does not fit.
  auto write_blocks = [&](int round) {
    for (int s = 0; s < 16; ++s) {
      const uint32_t id = store_->series_id(kGuid, "noise", "d" + std::to_string(round * 16 + s));
      BlockEncoder block;
      // Later rounds start later: retention by size drops the oldest first.
      for (int i = 0; i < 512; ++i) {
        block.append(kStart + round * 1000 + i, std::sin(id * 1000.0 + i) * 1e6);
      }
      store_->write_block(id, block);
    }
  };
  std::vector<uint64_t> committed;
  auto flush_and_wait = [&](int round) {
    write_blocks(round);
    const uint64_t ticket = store_->flush();
    store_->when_committed(ticket, [&committed, ticket] { committed.push_back(ticket); });
    run_until(
        [&] { return (!committed.empty() && committed.back() == ticket) || store_->congested(); });
    return ticket;
  };
  int round = 0;
  uint64_t held = 0;
  for (; round < 200 && !store_->congested(); ++round) held = flush_and_wait(round);
  ASSERT_TRUE(store_->congested());
  ASSERT_TRUE(store_->stats().full);
  ASSERT_FALSE(committed.empty());
  EXPECT_LT(committed.back(), held);  // the batch that did not fit is not acknowledged
  bool resumed = false;
  store_->when_uncongested([&] { resumed = true; });
  // A batch queued while the map is full waits behind the held one.
  write_blocks(round++);
  const uint64_t queued = store_->flush();
  store_->when_committed(queued, [&committed, queued] { committed.push_back(queued); });

  store_->run_retention();  // drops the oldest blocks below max_size, then retries at once
  run_until([&] { return !committed.empty() && committed.back() == queued; });
  EXPECT_TRUE(resumed);
  EXPECT_FALSE(store_->congested());
  EXPECT_FALSE(store_->stats().full);
  EXPECT_EQ(committed[committed.size() - 2], held);  // in order: the held batch first
  // The held batch's blocks are on disk; the oldest are gone.
  const uint32_t newest = store_->series_id(kGuid, "noise", "d" + std::to_string((round - 2) * 16));
  EXPECT_EQ(store_->extent(newest).last_s, kStart + (round - 2) * 1000 + 511);
  EXPECT_EQ(store_->extent(store_->series_id(kGuid, "noise", "d0")).last_s, 0);
  // And the store keeps committing.
  flush_and_wait(round);
  EXPECT_FALSE(store_->congested());
}

}  // namespace
}  // namespace trib::parent::storage
