#include "parent/store/log_store.h"

#include <gtest/gtest.h>
#include <re2/re2.h>

#include "support/process.h"

namespace trib::parent::store {
namespace {

constexpr const char* kGuid = "aaaaaaaa-0000-4000-8000-0000000000a1";

stream::LogsMsg batch(const std::string& path, uint64_t generation,
                      std::vector<std::pair<uint64_t, std::string>> lines, int64_t time_ms = 1000) {
  stream::LogsMsg msg{0, 1, {{path, {{"service", "web"}}}}, {}};
  for (auto& [offset, line] : lines) {
    msg.records.push_back({0, generation, offset, time_ms, 0, line, {{"k", "v"}}});
  }
  return msg;
}

std::vector<std::string> lines_of(const LogQueryResult& result) {
  std::vector<std::string> out;
  for (const auto& r : result.records) out.push_back(r.line);
  return out;
}

class LogStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { reopen(); }
  void reopen(LogStoreOptions options = {}) {
    store.reset();
    options.path = dir / "logs";
    store = std::move(LogStore::open(options)).value();
  }
  LogQueryResult query(LogQuery q = {}) {
    auto result = store->query(kGuid, q);
    EXPECT_TRUE(result.ok()) << result.error().describe();
    return result.ok() ? *result : LogQueryResult{};
  }

  test::TempDir dir;
  std::unique_ptr<LogStore> store;
};

TEST_F(LogStoreTest, StoresEachRecordOnceAcrossResendsAndRestarts) {
  ASSERT_TRUE(store->append(kGuid, batch("/a.log", 1, {{0, "l0"}, {3, "l1"}})).ok());
  // A resend after a lost ack, overlapping what is stored, and a reopen in between.
  reopen();
  ASSERT_TRUE(store->append(kGuid, batch("/a.log", 1, {{0, "l0"}, {3, "l1"}, {6, "l2"}})).ok());
  ASSERT_TRUE(store->append(kGuid, batch("/a.log", 2, {{0, "new generation"}})).ok());
  const auto result = query();
  EXPECT_EQ(lines_of(result), (std::vector<std::string>{"l0", "l1", "l2", "new generation"}));
  EXPECT_EQ(store->stats().records_duplicate, 2U);
  ASSERT_EQ(result.records[0].attributes.size(), 2U);
  EXPECT_EQ(result.records[0].attributes[0].first, "service");
  EXPECT_EQ(result.records[0].source, "/a.log");
}

TEST_F(LogStoreTest, FiltersAndPagesWithCursors) {
  ASSERT_TRUE(store->append(kGuid, batch("/a.log", 1, {{0, "alpha 1"}, {8, "beta 2"}}, 1000)).ok());
  ASSERT_TRUE(store->append(kGuid, batch("/b.log", 1, {{0, "alpha 3"}}, 5000)).ok());
  LogQuery q;
  q.source = "/a.log";
  EXPECT_EQ(lines_of(query(q)), (std::vector<std::string>{"alpha 1", "beta 2"}));
  q = {};
  q.substring = "alpha";
  EXPECT_EQ(lines_of(query(q)), (std::vector<std::string>{"alpha 1", "alpha 3"}));
  q = {};
  q.regex = std::make_shared<re2::RE2>("[23]$");
  EXPECT_EQ(lines_of(query(q)), (std::vector<std::string>{"beta 2", "alpha 3"}));
  q = {};
  q.after_ms = 2000;
  EXPECT_EQ(lines_of(query(q)), (std::vector<std::string>{"alpha 3"}));
  // Pages of one; the last cursor also picks up what arrives later.
  q = {};
  q.limit = 1;
  std::vector<std::string> paged;
  for (int i = 0; i < 3; ++i) {
    const auto page = query(q);
    ASSERT_EQ(page.records.size(), 1U);
    paged.push_back(page.records[0].line);
    q.cursor = page.next_cursor;
  }
  EXPECT_EQ(paged, (std::vector<std::string>{"alpha 1", "beta 2", "alpha 3"}));
  EXPECT_TRUE(query(q).records.empty());
  ASSERT_TRUE(store->append(kGuid, batch("/b.log", 1, {{8, "later"}}, 6000)).ok());
  EXPECT_EQ(lines_of(query(q)), (std::vector<std::string>{"later"}));
  q.cursor = "garbage";
  EXPECT_FALSE(store->query(kGuid, q).ok());
}

TEST_F(LogStoreTest, InterleavedGenerationsInOneBatchKeepTheirOwnHighWater) {
  stream::LogsMsg msg = batch("/a.log", 1, {{0, "g1 a"}});
  msg.records.push_back({0, 2, 0, 1000, 0, "g2 a", {}});
  msg.records.push_back({0, 1, 5, 1000, 0, "g1 b", {}});
  msg.records.push_back({0, 2, 5, 1000, 0, "g2 b", {}});
  ASSERT_TRUE(store->append(kGuid, msg).ok());
  ASSERT_TRUE(store->append(kGuid, msg).ok());  // resent whole: nothing stored twice
  EXPECT_EQ(lines_of(query()), (std::vector<std::string>{"g1 a", "g2 a", "g1 b", "g2 b"}));
  EXPECT_EQ(store->stats().records_duplicate, 4U);
}

TEST_F(LogStoreTest, FilteredQueriesSkipRecordsAndAnswerMatchesWhole) {
  stream::LogsMsg msg = batch("/a.log", 1, {{0, "skipped"}});
  msg.records.push_back({0, 1, 8, 1000, stream::kLogLineContinues, "wanted", {{"a", "1"}}});
  msg.records[0].attributes = {{"x", "long value"}, {"y", ""}};
  ASSERT_TRUE(store->append(kGuid, msg).ok());
  LogQuery q;
  q.substring = "want";
  const auto result = query(q);
  ASSERT_EQ(result.records.size(), 1U);
  const StoredLogRecord& r = result.records[0];
  EXPECT_EQ(r.line, "wanted");
  EXPECT_EQ(r.offset, 8U);
  EXPECT_EQ(r.flags, stream::kLogLineContinues);
  EXPECT_EQ(r.attributes,
            (std::vector<std::pair<std::string, std::string>>{{"service", "web"}, {"a", "1"}}));
}

TEST_F(LogStoreTest, GapsAreStoredOnceAndReturned) {
  stream::GapsMsg gaps{0, 1, {{"/a.log", 2, 10, 99, 1500, "spool full"}}, {}};
  ASSERT_TRUE(store->append_gaps(kGuid, gaps).ok());
  ASSERT_TRUE(store->append_gaps(kGuid, gaps).ok());
  const auto result = query();
  ASSERT_EQ(result.gaps.size(), 1U);
  EXPECT_EQ(result.gaps[0], gaps.gaps[0]);
}

TEST_F(LogStoreTest, MetricGapsAreStoredOnceByStartAndExpireWithTheirSamples) {
  stream::GapsMsg gaps{0, 1, {}, {{-20, -10, 0, "before 1970"}, {1'000, 1'010, 1'500, "proxy"}}};
  ASSERT_TRUE(store->append_gaps(kGuid, gaps).ok());
  ASSERT_TRUE(store->append_gaps(kGuid, gaps).ok());  // a resend
  EXPECT_EQ(store->metric_gaps(kGuid, INT64_MIN, INT64_MAX, 100).value(), gaps.metric_gaps);
  EXPECT_EQ(store->metric_gaps(kGuid, -10, 1'000, 100).value().size(), 0U);
  EXPECT_EQ(store->metric_gaps(kGuid, 0, INT64_MAX, 1).value().size(), 1U);
  EXPECT_TRUE(
      store->metric_gaps("bbbbbbbb-0000-4000-8000-0000000000b1", 0, INT64_MAX, 9).value().empty());
  LogStoreOptions options;
  options.max_age = std::chrono::seconds(100);
  reopen(options);
  ASSERT_TRUE(store->enforce_retention(1'050'000).ok());  // cut-off: 950 s
  EXPECT_EQ(store->metric_gaps(kGuid, INT64_MIN, INT64_MAX, 100).value(),
            std::vector<stream::MetricGap>{gaps.metric_gaps[1]});
}

TEST_F(LogStoreTest, RetentionByAgeAndBySize) {
  LogStoreOptions options;
  options.max_age = std::chrono::seconds(10);
  options.max_size = 16 << 20;
  options.no_sync = true;
  reopen(options);
  ASSERT_TRUE(store->append(kGuid, batch("/a.log", 1, {{0, "old"}}, 1'000)).ok());
  ASSERT_TRUE(store->append(kGuid, batch("/a.log", 1, {{4, "new"}}, 20'000)).ok());
  ASSERT_TRUE(store->enforce_retention(25'000).ok());
  EXPECT_EQ(lines_of(query()), (std::vector<std::string>{"new"}));
  // By size: incompressible blocks past max_size push the oldest out.
  std::string noise;
  uint64_t x = 1;
  for (int i = 0; i < 60'000; ++i) {
    x = x * 6364136223846793005ULL + 1;
    noise.push_back(static_cast<char>('a' + (x >> 59)));
  }
  for (uint64_t i = 0; i < 600; ++i) {
    ASSERT_TRUE(store->append(kGuid, batch("/big.log", 1, {{8 + i * 70'000, noise}}, 24'000)).ok());
  }
  ASSERT_TRUE(store->enforce_retention(25'000).ok());
  const auto kept = query(LogQuery{.source = "/big.log", .limit = 10'000}).records.size();
  EXPECT_LT(kept, 600U);
  EXPECT_GT(kept, 300U);
  EXPECT_TRUE(query(LogQuery{.source = "/a.log"}).records.empty());
}

}  // namespace
}  // namespace trib::parent::store
