#include "parent/store/log_writer.h"

#include <gtest/gtest.h>

#include "support/loop_fixture.h"
#include "support/process.h"
#include "support/small_fs.h"

namespace trib::parent::store {
namespace {

constexpr const char* kGuid = "aaaaaaaa-0000-4000-8000-0000000000a1";

stream::LogsMsg batch(uint64_t first_offset, std::vector<std::string> lines) {
  stream::LogsMsg msg{0, 1, {{"/var/log/app.log", {}}}, {}};
  uint64_t offset = first_offset;
  for (auto& line : lines) {
    const uint64_t size = line.size() + 1;
    msg.records.push_back({0, 1, offset, 1000, 0, std::move(line), {}});
    offset += size;
  }
  return msg;
}

std::vector<std::string> stored_lines(LogStore& store) {
  std::vector<std::string> out;
  auto result = store.query(kGuid, LogQuery{});
  EXPECT_TRUE(result.ok()) << result.error().describe();
  if (result.ok()) {
    for (const auto& r : result->records) out.push_back(r.line);
  }
  return out;
}

class LogWriterTest : public test::LoopTest {
 protected:
  void open(const std::string& path) {
    LogStoreOptions options;
    options.path = path;
    auto opened = LogStore::open(options);
    ASSERT_TRUE(opened.ok()) << opened.error().describe();
    store = std::move(opened).value();
    LogWriterOptions writer_options;
    writer_options.retry_interval = std::chrono::milliseconds(50);
    writer = std::make_unique<LogWriter>(loop_, *store, writer_options);
  }

  test::TempDir dir;
  std::unique_ptr<LogStore> store;
  std::unique_ptr<LogWriter> writer;
};

// Batches submitted back to back are committed in order and each waiter runs only once its
// batch is on disk; a batch resent within the same group is still stored once.
TEST_F(LogWriterTest, CommitsInOrderAndCallsBackOncePerTicket) {
  open(dir / "logs");
  std::vector<uint64_t> called_back;
  uint64_t last = 0;
  for (uint64_t i = 0; i < 20; ++i) {
    last = writer->submit(kGuid, batch(i * 6, {"line" + std::to_string(i)}));
    writer->when_committed(last, [&called_back, last] { called_back.push_back(last); });
  }
  const uint64_t resent = writer->submit(kGuid, batch(0, {"line0"}));
  run_until([&] { return writer->committed_ticket() >= resent; });
  ASSERT_EQ(called_back.size(), 20U);
  EXPECT_TRUE(std::is_sorted(called_back.begin(), called_back.end()));
  EXPECT_EQ(called_back.back(), last);
  const auto lines = stored_lines(*store);
  ASSERT_EQ(lines.size(), 20U);
  EXPECT_EQ(lines.front(), "line0");
  EXPECT_EQ(lines.back(), "line19");
  EXPECT_GE(writer->stats().commits, 1U);
  EXPECT_LE(writer->stats().commits, 21U);
}

// The disk fills: the batch is not acknowledged (its waiter does not run), the writer says it is
// congested and retries; once there is room the same batch commits and the waiter runs.
TEST_F(LogWriterTest, AFailedCommitKeepsTheBatchAndRetriesUntilThereIsRoom) {
  test::SmallFilesystem disk(8 << 20);
  if (!disk.mounted()) GTEST_SKIP() << disk.why_not();
  open(disk.path() + "/logs");
  ASSERT_TRUE(disk.fill());
  bool committed = false;
  std::vector<std::string> big;
  for (int i = 0; i < 2000; ++i) big.push_back("noise " + std::to_string(i * 7919 % 10007));
  const uint64_t ticket = writer->submit(kGuid, batch(0, big));
  writer->when_committed(ticket, [&] { committed = true; });
  run_until([&] { return writer->stats().failed_commits > 0; });
  EXPECT_TRUE(writer->congested());
  EXPECT_FALSE(committed);
  bool resumed = false;
  writer->when_uncongested([&] { resumed = true; });
  disk.free_space();
  run_until([&] { return committed; });
  EXPECT_TRUE(resumed);
  EXPECT_FALSE(writer->congested());
  EXPECT_EQ(stored_lines(*store).size(), 1000U);  // a query returns 1000 at most by default
}

// Stopping the writer commits what was submitted.
TEST_F(LogWriterTest, StoppingCommitsWhatWasSubmitted) {
  open(dir / "logs");
  writer->submit(kGuid, batch(0, {"last words"}));
  writer.reset();
  EXPECT_EQ(stored_lines(*store), (std::vector<std::string>{"last words"}));
}

}  // namespace
}  // namespace trib::parent::store
