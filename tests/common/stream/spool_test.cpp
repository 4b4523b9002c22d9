#include "common/stream/spool.h"

#include <gtest/gtest.h>

#include "support/process.h"
#include "support/small_fs.h"
#include "tests/support/samples.h"

namespace trib::stream {
namespace {

ChartDefMsg chart(uint32_t slot, const std::string& id) {
  ChartDefMsg msg{0, slot, {}};
  msg.def.id = id;
  msg.def.dimensions.push_back(model::DimensionDef{"d", "d"});
  return msg;
}

LogsMsg logs(uint64_t seq, uint64_t offset, const std::string& line) {
  return LogsMsg{0, seq, {{"/a.log", {}}}, {{0, 2, offset, 5, 0, line, {}}}};
}

// Bytes zstd cannot shrink, for tests of the size bound (entries are compressed).
std::string incompressible(size_t n, uint64_t seed_from) {
  auto seed = static_cast<uint32_t>(seed_from);
  std::string out(n, '\0');
  for (char& c : out) {
    seed = seed * 1664525 + 1013904223;
    c = static_cast<char>('!' + (seed >> 24) % 90);
  }
  return out;
}

TEST(SpoolTest, KeepsBatchesUntilAcknowledgedAcrossReopens) {
  test::TempDir dir;
  {
    auto spool = std::move(Spool::open(dir / "spool", 1 << 20)).value();
    SamplesMsg samples = test::samples_msg(0, 10, {{3, 1'700'000'000, {1.5}}});
    ASSERT_TRUE(spool->append(10, {{chart(3, "system.cpu")}, samples}).ok());
    ASSERT_TRUE(spool->append(11, {{}, logs(11, 0, "hello")}).ok());
    ASSERT_TRUE(spool->append(12, {{}, logs(12, 6, "world")}).ok());
    spool->acknowledge(10);
    ASSERT_TRUE(spool->flush_acknowledged().ok());
  }
  auto spool = std::move(Spool::open(dir / "spool", 1 << 20)).value();
  auto loaded = spool->load();
  ASSERT_TRUE(loaded.ok());
  ASSERT_EQ(loaded->size(), 2U);
  EXPECT_EQ(std::get<LogsMsg>((*loaded)[0].batch), logs(11, 0, "hello"));
  EXPECT_GT(spool->stored_bytes(), 0U);
  spool->acknowledge(12);
  EXPECT_TRUE(spool->load()->empty());
  EXPECT_EQ(spool->stored_bytes(), 0U);
}

TEST(SpoolTest, SamplesKeepTheirChartsAndTimestamps) {
  test::TempDir dir;
  auto spool = std::move(Spool::open(dir / "spool", 1 << 20)).value();
  SamplesMsg samples = test::samples_msg(0, 4, {{7, 1'600'000'000, {2.0}}});
  ASSERT_TRUE(spool->append(4, {{chart(7, "disk.io")}, samples}).ok());
  const auto loaded = spool->load().value();
  ASSERT_EQ(loaded.size(), 1U);
  ASSERT_EQ(loaded[0].charts.size(), 1U);
  EXPECT_EQ(loaded[0].charts[0].def.id, "disk.io");
  EXPECT_EQ(std::get<SamplesMsg>(loaded[0].batch).rows[0].timestamp, 1'600'000'000);
}

std::vector<std::string> chart_ids(const SpooledBatch& batch) {
  std::vector<std::string> ids;
  for (const ChartDefMsg& chart : batch.charts) ids.push_back(chart.def.id);
  return ids;
}

// Definitions are written once per run (per Spool object), not with every batch: a batch given
// none gets those of its run back, and the same slot may name another chart in another run.
TEST(SpoolTest, ChartDefinitionsAreKeptOncePerRun) {
  test::TempDir dir;
  using Ids = std::vector<std::string>;
  {
    auto spool = std::move(Spool::open(dir / "spool", 1 << 20)).value();
    ASSERT_TRUE(spool
                    ->append(1, {{chart(1, "system.cpu"), chart(2, "system.ram")},
                                 test::samples_msg(0, 1, {{1, 100, {1.0}}, {2, 100, {2.0}}})})
                    .ok());
    const uint64_t with_definitions = spool->stored_bytes();
    ASSERT_TRUE(
        spool->append(2, {{}, test::samples_msg(0, 2, {{1, 101, {3.0}}, {2, 101, {4.0}}})}).ok());
    // The definitions are not in the entries: two alike batches take the same room.
    EXPECT_EQ(spool->stored_bytes() - with_definitions, with_definitions);
  }
  {
    auto spool = std::move(Spool::open(dir / "spool", 1 << 20)).value();
    const auto loaded = spool->load().value();
    ASSERT_EQ(loaded.size(), 2U);
    EXPECT_EQ(chart_ids(loaded[0]), (Ids{"system.cpu", "system.ram"}));
    EXPECT_EQ(chart_ids(loaded[1]), (Ids{"system.cpu", "system.ram"}));
    // This run numbers its charts anew: slot 1 is another chart now.
    ASSERT_TRUE(
        spool->append(3, {{chart(1, "disk.vda")}, test::samples_msg(0, 3, {{1, 102, {5.0}}})})
            .ok());
  }
  auto spool = std::move(Spool::open(dir / "spool", 1 << 20)).value();
  auto loaded = spool->load().value();
  ASSERT_EQ(loaded.size(), 3U);
  EXPECT_EQ(chart_ids(loaded[1]), (Ids{"system.cpu", "system.ram"}));
  EXPECT_EQ(chart_ids(loaded[2]), Ids{"disk.vda"});
  EXPECT_EQ(test::row_values(std::get<SamplesMsg>(loaded[2].batch), 0), std::vector<double>{5.0});
  // The first run's batches acknowledged: its definitions go, the second run's stay.
  spool->acknowledge(2);
  ASSERT_TRUE(spool->flush_acknowledged().ok());
  loaded = spool->load().value();
  ASSERT_EQ(loaded.size(), 1U);
  EXPECT_EQ(chart_ids(loaded[0]), Ids{"disk.vda"});
}

TEST(SpoolTest, TheBoundDropsTheOldestAndLogBatchesBecomeGaps) {
  test::TempDir dir;
  auto spool = std::move(Spool::open(dir / "spool", 600)).value();
  std::vector<Message> dropped;
  uint32_t seed = 1;
  for (uint64_t seq = 1; seq <= 10; ++seq) {
    auto out = spool->append(seq, {{}, logs(seq, seq * 100, incompressible(90, seed++))});
    ASSERT_TRUE(out.ok());
    for (auto& m : *out) dropped.push_back(std::move(m));
  }
  EXPECT_LE(spool->stored_bytes(), 600U);
  ASSERT_FALSE(dropped.empty());
  EXPECT_EQ(std::get<LogsMsg>(dropped[0]).seq, 1U);
  const GapsMsg gaps = gaps_for_dropped(dropped, 77);
  ASSERT_EQ(gaps.gaps.size(), dropped.size());
  EXPECT_EQ(gaps.gaps[0], (LogGap{"/a.log", 2, 100, 191, 77,
                                  "spool full: batch dropped before the parent acknowledged it"}));
  EXPECT_EQ(spool->load()->size() + dropped.size(), 10U);
}

// A proxy's spool with when_full: drop_oldest: each batch pushed out leaves its gap record in its
// place, under its seq, in the same commit: metric seconds for samples, byte ranges for logs.
TEST(SpoolTest, AProxySpoolReplacesTheOldestBatchesByTheirGapRecords) {
  test::TempDir dir;
  auto spool = std::move(Spool::open(dir / "spool", 900)).value();
  std::vector<Message> replaced;
  uint32_t seed = 1;
  for (uint64_t seq = 1; seq <= 12; ++seq) {
    SpooledBatch batch;
    if (seq % 2 == 1) {
      batch.batch = logs(seq, seq * 100, incompressible(90, seed++));
    } else {
      SamplesMsg samples{.host_slot = 0, .seq = seq};
      for (int64_t t = 0; t < 10; ++t) {
        const double value = static_cast<double>(seed++) * 1.37;
        samples.add_row(3, 1'700'000'000 + static_cast<int64_t>(seq) * 10 + t, {&value, 1});
      }
      batch = {{chart(3, "system.cpu")}, std::move(samples)};
    }
    auto out = spool->append(seq, batch, Spool::WhenFull::replace_oldest_with_gaps);
    ASSERT_TRUE(out.ok());
    for (auto& m : *out) replaced.push_back(std::move(m));
  }
  EXPECT_LE(spool->stored_bytes(), 900U);
  ASSERT_GE(replaced.size(), 2U);
  const auto& first = std::get<GapsMsg>(replaced[0]);
  EXPECT_EQ(first.seq, 1U);
  ASSERT_EQ(first.gaps.size(), 1U);
  EXPECT_EQ(first.gaps[0].from, 100U);
  EXPECT_EQ(first.gaps[0].to, 191U);
  EXPECT_EQ(first.gaps[0].reason, kProxyGapReason);
  const auto& second = std::get<GapsMsg>(replaced[1]);
  EXPECT_EQ(second.seq, 2U);
  ASSERT_EQ(second.metric_gaps.size(), 1U);
  EXPECT_EQ(second.metric_gaps[0].from_s, 1'700'000'020);
  EXPECT_EQ(second.metric_gaps[0].to_s, 1'700'000'030);  // one past the last row
  EXPECT_EQ(second.metric_gaps[0].reason, kProxyGapReason);
  // Every seq is still there, in order: the replaced ones as gap records.
  const auto loaded = spool->load().value();
  ASSERT_EQ(loaded.size(), 12U);
  for (size_t i = 0; i < loaded.size(); ++i) {
    const uint64_t seq = std::visit(
        [](const auto& b) -> uint64_t {
          if constexpr (requires { b.seq; }) return b.seq;
          return 0;
        },
        loaded[i].batch);
    EXPECT_EQ(seq, i + 1);
    EXPECT_EQ(std::holds_alternative<GapsMsg>(loaded[i].batch), i < replaced.size()) << i;
  }
  // The gap records stay when more is appended; the next oldest data goes.
  ASSERT_TRUE(spool
                  ->append(13, {{}, logs(13, 1300, incompressible(90, seed++))},
                           Spool::WhenFull::replace_oldest_with_gaps)
                  .ok());
  EXPECT_EQ(std::get<GapsMsg>(spool->load().value()[0].batch), first);
}

// An acknowledged batch stops counting at once and is erased with the next append's commit; one
// acknowledged but not erased when the process dies comes back at the next start (sent again,
// and the receiver's resume point skips it).
TEST(SpoolTest, AcknowledgedBatchesGoWithTheNextCommit) {
  test::TempDir dir;
  {
    auto spool = std::move(Spool::open(dir / "spool", 1 << 20)).value();
    ASSERT_TRUE(spool->append(1, {{}, logs(1, 0, "one")}).ok());
    ASSERT_TRUE(spool->append(2, {{}, logs(2, 4, "two")}).ok());
    spool->acknowledge(1);
    EXPECT_EQ(spool->load()->size(), 1U);
  }
  {
    auto spool = std::move(Spool::open(dir / "spool", 1 << 20)).value();
    ASSERT_EQ(spool->load()->size(), 2U);  // the ack of 1 was never committed
    spool->acknowledge(1);
    ASSERT_TRUE(spool->append(3, {{}, logs(3, 8, "three")}).ok());
  }
  auto spool = std::move(Spool::open(dir / "spool", 1 << 20)).value();
  const auto loaded = spool->load().value();
  ASSERT_EQ(loaded.size(), 2U);
  EXPECT_EQ(std::get<LogsMsg>(loaded[0].batch).seq, 2U);
  EXPECT_EQ(std::get<LogsMsg>(loaded[1].batch).seq, 3U);
}

// Log lines are stored compressed: a megabyte of typical lines takes a small part of it.
TEST(SpoolTest, LogBatchesAreStoredCompressed) {
  test::TempDir dir;
  auto spool = std::move(Spool::open(dir / "spool", 64 << 20)).value();
  LogsMsg batch{0, 1, {{"/var/log/app.log", {}}}, {}};
  uint64_t offset = 0;
  for (int i = 0; i < 8000; ++i) {
    std::string line = "2026-11-21T19:00:00Z INFO request " + std::to_string(i) + " served in " +
                       std::to_string(i % 97) + " ms from 10.0.0." + std::to_string(i % 250) +
                       " user=alice path=/api/v1/data?chart=system.cpu";
    batch.records.push_back({0, 1, offset, 1'700'000'000'000, 0, line, {}});
    offset += line.size() + 1;
  }
  ASSERT_TRUE(spool->append(1, {{}, batch}).ok());
  EXPECT_LT(spool->stored_bytes(), offset / 4);
  const auto loaded = spool->load().value();
  ASSERT_EQ(loaded.size(), 1U);
  EXPECT_EQ(std::get<LogsMsg>(loaded[0].batch), batch);
}

TEST(SpoolTest, KeepsTheOriginAndTheLastAppendedSeqAcrossAcksAndReopens) {
  test::TempDir dir;
  SpoolOrigin origin;
  origin.host.machine_guid = "aaaaaaaa-0000-4000-8000-0000000000a1";
  origin.host.hostname = "web-01";
  origin.host.hops = 2;
  origin.host.labels = {{"zone", "dmz"}};
  origin.path = {"proxy-1", "proxy-2"};
  origin.path_guids = {"bbbbbbbb-0000-4000-8000-0000000000b2",
                       "cccccccc-0000-4000-8000-0000000000c3"};
  {
    auto spool = std::move(Spool::open(dir / "spool", 1 << 20)).value();
    EXPECT_EQ(spool->load_origin().value(), std::nullopt);  // an agent's spool has none
    EXPECT_EQ(spool->last_appended_seq(), 0U);
    ASSERT_TRUE(spool->save_origin(origin).ok());
    ASSERT_TRUE(spool->append(41, {{}, logs(41, 0, "a")}).ok());
    ASSERT_TRUE(spool->append(42, {{}, logs(42, 2, "b")}).ok());
    spool->acknowledge(42);
    ASSERT_TRUE(spool->flush_acknowledged().ok());
    EXPECT_EQ(spool->last_appended_seq(), 42U);
  }
  auto spool = std::move(Spool::open(dir / "spool", 1 << 20)).value();
  EXPECT_TRUE(spool->load()->empty());
  EXPECT_EQ(spool->last_appended_seq(), 42U);  // acknowledged, still what the proxy had
  EXPECT_EQ(spool->load_origin().value(), std::optional<SpoolOrigin>(origin));
}

// The spool's disk fills up: an append fails with the reason, what was spooled stays readable,
// and with room again appends go through. On a read-only disk the spool does not open, and the
// error names it.
TEST(SpoolTest, ADiskFullOrReadOnlyIsAClearErrorAndLosesNothingSpooled) {
  test::SmallFilesystem disk(4 << 20);
  if (!disk.mounted()) GTEST_SKIP() << disk.why_not();
  const std::string path = disk.path() + "/spool";
  {
    auto spool = std::move(Spool::open(path, 64 << 20)).value();
    ASSERT_TRUE(spool->append(1, {{}, logs(1, 0, "before")}).ok());
    ASSERT_TRUE(disk.fill());
    Status failed;
    for (uint64_t seq = 2; seq < 200 && failed.ok(); ++seq) {
      auto out = spool->append(seq, {{}, logs(seq, seq * 10, incompressible(8000, seq))});
      if (!out.ok()) failed = out.take_error();
    }
    ASSERT_FALSE(failed.ok()) << "the disk never filled";
    EXPECT_NE(failed.error().describe().find("No space left on device"), std::string::npos)
        << failed.error().describe();
    auto loaded = spool->load();
    ASSERT_TRUE(loaded.ok());
    EXPECT_EQ(std::get<LogsMsg>(loaded->front().batch), logs(1, 0, "before"));
    disk.free_space();
    EXPECT_TRUE(spool->append(500, {{}, logs(500, 9000, "after")}).ok());
  }
  ASSERT_TRUE(disk.remount_read_only());
  const auto refused = Spool::open(path, 64 << 20);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().describe().find(path), std::string::npos) << refused.error().describe();
  ASSERT_TRUE(disk.remount_writable());
}

}  // namespace
}  // namespace trib::stream
