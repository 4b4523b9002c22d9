#include "agent/logs/tailer.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "support/file_permissions.h"
#include "support/process.h"
#include "support/small_fs.h"

namespace trib::agent::logs {
namespace {

namespace fs = std::filesystem;

void append(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::app | std::ios::binary);
  out << text;
}

// What the parent would store: records by (source, generation, offset), once each, plus gaps.
struct FakeParent {
  std::map<std::tuple<std::string, uint64_t, uint64_t>, stream::LogRecord> stored;
  std::vector<stream::LogGap> gaps;
  std::vector<TailBatch> unacked;
  size_t records_received = 0;  // duplicates included

  void take(TailBatch batch) { unacked.push_back(std::move(batch)); }
  // Stores and acknowledges everything received.
  void ack_all(Tailer& tailer) {
    auto batches = std::move(unacked);
    unacked.clear();
    for (auto& batch : batches) {
      for (auto& record : batch.logs.records) {
        ++records_received;
        const std::string& path = batch.logs.sources[record.source].path;
        stored.try_emplace({path, record.generation, record.offset}, record);
      }
      for (auto& gap : batch.gaps.gaps) gaps.push_back(gap);
      tailer.acked(batch.ticket);
    }
  }
  std::vector<std::string> lines_of(const std::string& source) const {
    std::vector<std::string> out;
    for (const auto& [key, record] : stored) {
      if (std::get<0>(key) == source) out.push_back(record.line);
    }
    return out;
  }
  std::vector<std::string> all_lines() const {
    std::vector<std::string> out;
    for (const auto& [key, record] : stored) out.push_back(record.line);
    return out;
  }
};

class TailerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    logs_dir = dir / "logs";
    fs::create_directories(logs_dir);
    open_tailer();
  }

  void open_tailer(TailerLimits limits = fast_limits()) {
    tailer.reset();
    store.reset();
    store = std::move(CheckpointStore::open(store_dir)).value();
    auto created = Tailer::create(*store, clock, limits,
                                  [this](TailBatch batch) { parent.take(std::move(batch)); });
    ASSERT_TRUE(created.ok()) << created.error().describe();
    tailer = std::move(created).value();
    ASSERT_TRUE(tailer->configure(options).ok());
  }

  static TailerLimits fast_limits() {
    TailerLimits limits;
    limits.rotate_wait = std::chrono::milliseconds(1000);
    return limits;
  }

  // scan + poll + ack, a few rounds, advancing the clock past rotate_wait.
  void settle(int rounds = 4) {
    for (int i = 0; i < rounds; ++i) {
      tailer->scan();
      tailer->poll();
      parent.ack_all(*tailer);
      clock.advance_s(1);
    }
  }

  LogsOptions source_options(const std::string& glob, const std::string& start_at = "beginning") {
    LogsOptions o;
    LogSourceOptions s;
    s.paths = {glob};
    s.start_at = start_at;
    o.sources.push_back(s);
    return o;
  }

  test::TempDir dir;
  std::string store_dir = dir / "checkpoints";
  std::string logs_dir;
  time::ManualClock clock;
  LogsOptions options = [this] {
    LogsOptions o;
    LogSourceOptions s;
    s.paths = {std::string(dir.path()) + "/logs/*.log"};
    s.start_at = "beginning";
    o.sources.push_back(s);
    return o;
  }();
  std::unique_ptr<CheckpointStore> store;
  std::unique_ptr<Tailer> tailer;
  FakeParent parent;
};

TEST_F(TailerTest, ReadsLinesAndWaitsForThePartialOne) {
  const std::string path = logs_dir + "/app.log";
  append(path, "one\ntwo\nthr");
  settle();
  EXPECT_EQ(parent.all_lines(), (std::vector<std::string>{"one", "two"}));
  append(path, "ee\n");
  settle();
  EXPECT_EQ(parent.all_lines(), (std::vector<std::string>{"one", "two", "three"}));
}

TEST_F(TailerTest, StartAtEndAppliesOnlyToTheFirstScan) {
  options.sources[0].start_at = "end";
  ASSERT_TRUE(tailer->configure(options).ok());
  append(logs_dir + "/old.log", "before the agent\n");
  settle();
  append(logs_dir + "/old.log", "after\n");
  append(logs_dir + "/new.log", "new file, from byte 0\n");
  settle();
  EXPECT_EQ(parent.lines_of(logs_dir + "/old.log"), (std::vector<std::string>{"after"}));
  EXPECT_EQ(parent.lines_of(logs_dir + "/new.log"),
            (std::vector<std::string>{"new file, from byte 0"}));
}

TEST_F(TailerTest, RenameRotationReadsTheOldFileToItsEnd) {
  const std::string path = logs_dir + "/app.log";
  append(path, "a1\na2\n");
  settle();
  append(path, "a3\nlast without newline");
  fs::rename(path, logs_dir + "/app.log.1");  // excluded by the glob, still read by fd
  append(logs_dir + "/app.log.1", "\na4\n");  // a late write to the rotated file
  append(path, "b1\n");
  settle(6);
  EXPECT_EQ(parent.all_lines(),
            (std::vector<std::string>{"a1", "a2", "a3", "last without newline", "a4", "b1"}));
  EXPECT_EQ(tailer->stats().sources.at("logs.sources.0").rotations, 1U);
  // Two generations of the same source path.
  std::set<uint64_t> generations;
  for (const auto& [key, r] : parent.stored) generations.insert(std::get<1>(key));
  EXPECT_EQ(generations.size(), 2U);
}

TEST_F(TailerTest, CopyTruncateStartsANewGenerationAndSkipsNuls) {
  const std::string path = logs_dir + "/app.log";
  append(path, "x1\nx2\n");
  settle();
  // copytruncate: the content is copied away and the file truncated; a writer without O_APPEND
  // then writes at its old offset, leaving a hole of NULs.
  fs::copy_file(path, logs_dir + "/app.log.1");
  fs::resize_file(path, 0);
  settle();
  {
    const int fd = ::open(path.c_str(), O_WRONLY);
    ASSERT_GE(::pwrite(fd, "y1\n", 3, 6), 3);
    ::close(fd);
  }
  settle();
  EXPECT_EQ(parent.all_lines(), (std::vector<std::string>{"x1", "x2", "y1"}));
  EXPECT_EQ(tailer->stats().sources.at("logs.sources.0").nul_bytes_skipped, 6U);
  EXPECT_GE(tailer->stats().sources.at("logs.sources.0").generations, 1U);
}

// copytruncate after lines the agent had not read yet: they are only in the copy, and are read
// from it as the rest of the old generation. Nothing is lost, so no gap.
TEST_F(TailerTest, CopyTruncateReadsTheUnreadTailFromTheCopy) {
  const std::string path = logs_dir + "/app.log";
  append(path, "x1\nx2\n");
  settle();
  append(path, "x3 written just before the rotation\n");
  fs::copy_file(path, logs_dir + "/app.log.1");
  fs::resize_file(path, 0);
  append(path, "y1\n");
  settle(6);
  EXPECT_EQ(parent.all_lines(),
            (std::vector<std::string>{"x1", "x2", "x3 written just before the rotation", "y1"}));
  EXPECT_TRUE(parent.gaps.empty());
}

TEST_F(TailerTest, CopyTruncateWhileStoppedReadsTheUnreadTailFromTheCopy) {
  const std::string path = logs_dir + "/app.log";
  append(path, "x1\nx2\n");
  settle();
  tailer.reset();
  append(path, "x3\n");
  fs::copy_file(path, logs_dir + "/app.log-20261121");
  fs::resize_file(path, 0);
  append(path, "y1\n");
  open_tailer();
  settle(6);
  EXPECT_EQ(parent.all_lines(), (std::vector<std::string>{"x1", "x2", "x3", "y1"}));
  EXPECT_TRUE(parent.gaps.empty());
}

// The oracle's duplicate (seeds 2418509796, 66850472): copytruncate copied the file while the agent
// restored its checkpoints and truncated it after. The copy looked like an unseen rotation (newer
// than a generation found rotated) and was read as a generation of its own, while the followed
// generation found no copy at the truncation and ended in a gap.
TEST_F(TailerTest, ACopyMadeWhileRestoringGoesOnAsTheFollowedGeneration) {
  const std::string path = logs_dir + "/app.log";
  append(path, "g1\n");
  settle();
  fs::copy_file(path, logs_dir + "/app.log.1");
  fs::resize_file(path, 0);
  append(path, "h1\n");
  for (int i = 0; i < 2; ++i) {  // generation 1 goes on in app.log.1, not finished yet
    tailer->poll();
    parent.ack_all(*tailer);
  }
  append(path, "h2\n");
  tailer.reset();
  fs::copy_file(path, logs_dir + "/app.log.2");
  open_tailer();
  fs::resize_file(path, 0);
  append(path, "i1\n");
  settle(6);
  const auto lines = parent.all_lines();
  EXPECT_EQ(std::multiset<std::string>(lines.begin(), lines.end()),
            (std::multiset<std::string>{"g1", "h1", "h2", "i1"}));
  EXPECT_TRUE(parent.gaps.empty());
}

// Two copytruncates between polls: the second copy holds a whole generation never seen in place.
TEST_F(TailerTest, CopiesOfSeveralCopyTruncatesAreAllRead) {
  const std::string path = logs_dir + "/app.log";
  append(path, "x1\n");
  settle();
  append(path, "x2\n");
  fs::copy_file(path, logs_dir + "/app.log.1");
  fs::resize_file(path, 0);
  append(path, "y1\n");
  fs::copy_file(path, logs_dir + "/app.log.2");
  fs::resize_file(path, 0);
  append(path, "z1\n");
  settle(6);
  const auto lines = parent.all_lines();
  EXPECT_EQ(std::set<std::string>(lines.begin(), lines.end()),
            (std::set<std::string>{"x1", "x2", "y1", "z1"}));
  EXPECT_EQ(lines.size(), 4U);
  EXPECT_TRUE(parent.gaps.empty());
}

// Several copytruncates while the agent was stopped: the first copy holds the rest of the
// generation it followed, the later ones whole generations it never saw.
TEST_F(TailerTest, SeveralCopyTruncatesWhileStoppedAreAllRead) {
  const std::string path = logs_dir + "/app.log";
  append(path, "w1\n");
  settle();
  // The generation followed at the stop began with a copytruncate the agent saw.
  fs::copy_file(path, logs_dir + "/app.log.w");
  fs::resize_file(path, 0);
  append(path, "x1 with a head longer than what the fingerprint keeps? no, just a line\n");
  settle();
  tailer.reset();
  append(path, "x2\n");
  for (const std::string next : {"y", "z"}) {
    fs::copy_file(path, logs_dir + "/app.log." + next);
    fs::resize_file(path, 0);
    append(path, next + "1\n");
  }
  open_tailer();
  settle(6);
  const auto lines = parent.all_lines();
  EXPECT_EQ(std::multiset<std::string>(lines.begin(), lines.end()),
            (std::multiset<std::string>{
                "w1", "x1 with a head longer than what the fingerprint keeps? no, just a line",
                "x2", "y1", "z1"}));
  EXPECT_TRUE(parent.gaps.empty());
}

// A file first seen empty gets its fingerprint from the bytes read later: rewritten while the agent
// was stopped with the same tail but another head, it is told apart from what was read.
TEST_F(TailerTest, AFileFirstSeenEmptyIsStillRecognisedByItsHead) {
  const std::string path = logs_dir + "/app.log";
  append(path, "");
  settle();
  const std::string tail = std::string(100, 'x') + "\n";
  append(path, "head A\n" + tail);
  settle();
  tailer.reset();
  {
    std::ofstream out(path, std::ios::trunc | std::ios::binary);
    out << "head B\n" << tail;
  }
  open_tailer();
  settle(6);
  EXPECT_EQ(parent.all_lines(), (std::vector<std::string>{"head A", tail.substr(0, 100), "head B",
                                                          tail.substr(0, 100)}));
}

TEST_F(TailerTest, TruncateThenRegrowIsANewGeneration) {
  const std::string path = logs_dir + "/app.log";
  append(path, "first line of the old content\n");
  settle();
  // Truncated and written again past the old size between two polls.
  {
    std::ofstream out(path, std::ios::trunc | std::ios::binary);
    out << "a different first line, even longer\n";
  }
  settle();
  EXPECT_EQ(parent.all_lines(), (std::vector<std::string>{"first line of the old content",
                                                          "a different first line, even longer"}));
  EXPECT_EQ(tailer->stats().sources.at("logs.sources.0").generations, 1U);
  // No copy to read from: what was written between the last read and the truncation, if
  // anything, is unknowable, and a gap record says so.
  ASSERT_EQ(parent.gaps.size(), 1U);
  EXPECT_EQ(parent.gaps[0].from, 30U);
  EXPECT_NE(parent.gaps[0].reason.find("truncated"), std::string::npos);
}

TEST_F(TailerTest, DeletedWhileOpenIsReadToItsEnd) {
  const std::string path = logs_dir + "/app.log";
  append(path, "d1\n");
  settle();
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND);
  fs::remove(path);
  ASSERT_EQ(::write(fd, "d2\n", 3), 3);
  ::close(fd);
  settle(6);
  EXPECT_EQ(parent.all_lines(), (std::vector<std::string>{"d1", "d2"}));
  EXPECT_EQ(tailer->stats().pinned_bytes, 0U);  // closed after its end and the quiet time
}

TEST_F(TailerTest, PinnedBudgetClosesADeletedFileWithAGap) {
  TailerLimits limits = fast_limits();
  limits.pinned_budget = 10;
  limits.max_inflight_bytes = 4;  // nothing more is read while the parent has not acked
  limits.read_chunk = 8;
  open_tailer(limits);
  const std::string path = logs_dir + "/app.log";
  append(path, "p1\n");
  settle();
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND);
  fs::remove(path);
  ASSERT_EQ(::write(fd, "unread line one\nunread line two\n", 32), 32);
  ::close(fd);
  tailer->poll();  // reads one chunk: over the in-flight bound, the rest waits
  tailer->poll();
  parent.ack_all(*tailer);
  ASSERT_EQ(parent.gaps.size(), 1U);
  EXPECT_EQ(parent.gaps[0].to, 35U);
  EXPECT_LT(parent.gaps[0].from, parent.gaps[0].to);
  EXPECT_NE(parent.gaps[0].reason.find("pinned"), std::string::npos);
}

TEST_F(TailerTest, CheckpointsAdvanceOnlyWithAcks) {
  const std::string path = logs_dir + "/app.log";
  append(path, "c1\nc2\n");
  tailer->scan();
  tailer->poll();  // read, not acked
  ASSERT_EQ(parent.unacked.size(), 1U);
  parent.unacked.clear();  // the batch is lost (agent killed before the ack)
  open_tailer();           // restart: resumes at the durable checkpoint, which is byte 0
  settle();
  EXPECT_EQ(parent.all_lines(), (std::vector<std::string>{"c1", "c2"}));
  append(path, "c3\n");
  open_tailer();  // acked up to c2: only c3 is read again
  parent.stored.clear();
  settle();
  EXPECT_EQ(parent.all_lines(), (std::vector<std::string>{"c3"}));
}

TEST_F(TailerTest, SeveralRotationsWhileStoppedAreFoundAmongSiblings) {
  const std::string path = logs_dir + "/app.log";
  append(path, "r1\n");
  settle();
  append(path, "r2 written before the stop, never read\n");
  tailer.reset();  // the agent stops
  // Two rotations while stopped: app.log -> app.log.1 -> app.log.2, new files each time.
  fs::rename(path, logs_dir + "/app.log.1");
  append(path, "s1\n");
  fs::rename(logs_dir + "/app.log.1", logs_dir + "/app.log.2");
  fs::rename(path, logs_dir + "/app.log.1");
  append(path, "t1\n");
  open_tailer();
  settle(6);
  const auto lines = parent.all_lines();
  EXPECT_NE(std::find(lines.begin(), lines.end(), "r2 written before the stop, never read"),
            lines.end());
  EXPECT_NE(std::find(lines.begin(), lines.end(), "t1"), lines.end());
  // s1's file was created and rotated away while the agent was stopped, under a name the glob
  // excludes: found as an unknown sibling written after the last known generation.
  EXPECT_EQ(std::count(lines.begin(), lines.end(), "s1"), 1);
  EXPECT_EQ(std::count(lines.begin(), lines.end(), "r1"), 1);
  EXPECT_EQ(lines.size(), 4U);
}

// The oracle's lost file (seed 1110958688): a file created while the agent was stopped was still
// at the source path when the agent restored its checkpoints, and was rotated away before the
// first scan; the scan found its successor. It is read, once, as the generation in between.
TEST_F(TailerTest, AFileRotatedBetweenRestartAndFirstScanIsRead) {
  const std::string path = logs_dir + "/app.log";
  append(path, "k1\n");
  settle();
  tailer.reset();
  fs::rename(path, logs_dir + "/app.log.1");
  append(path, "u1 created while stopped\n");
  open_tailer();  // restores: the file at the path is not known yet
  fs::rename(path, logs_dir + "/app.log.2");
  append(path, "v1\n");
  settle(6);
  const auto lines = parent.all_lines();
  EXPECT_EQ(std::count(lines.begin(), lines.end(), "u1 created while stopped"), 1);
  EXPECT_EQ(std::count(lines.begin(), lines.end(), "v1"), 1);
  EXPECT_EQ(std::count(lines.begin(), lines.end(), "k1"), 1);
  EXPECT_EQ(lines.size(), 3U);
}

// At run time: the rotation is noticed by a poll before the next file exists; that file is
// written and rotated away before the scan that would have found it.
TEST_F(TailerTest, AFileCreatedAndRotatedBetweenTwoScansIsRead) {
  const std::string path = logs_dir + "/app.log";
  append(path, "k1\n");
  settle();
  fs::rename(path, logs_dir + "/app.log.1");
  tailer->poll();  // notices the rotation; nothing at the path yet
  append(path, "u1\n");
  fs::rename(path, logs_dir + "/app.log.2");
  append(path, "v1\n");
  settle(6);
  const auto lines = parent.all_lines();
  EXPECT_EQ(lines, (std::vector<std::string>{"k1", "u1", "v1"}));
}

// A finished rotated file stays known while it exists: with one-jiffy timestamps its mtime can
// equal the next file's, and forgotten it would look like an unseen generation.
TEST_F(TailerTest, AFinishedRotatedFileIsNotReadAgain) {
  const std::string path = logs_dir + "/app.log";
  append(path, "a1\n");
  settle();
  fs::rename(path, logs_dir + "/app.log.1");
  settle(6);  // read to its end, quiet past rotate_wait: finished, and nothing at the path
  append(path, "b1\n");
  settle(4);
  tailer.reset();
  open_tailer();
  fs::rename(path, logs_dir + "/app.log.2");
  append(path, "c1\n");
  settle(6);
  EXPECT_EQ(parent.all_lines(), (std::vector<std::string>{"a1", "b1", "c1"}));
}

// logrotate's `compress`: the rotated file becomes app.log.1.gz (gzip keeps its timestamp); the
// archive holds lines already read and is not a log to follow.
TEST_F(TailerTest, CompressedRotationsAreNotReadAsLogs) {
  const std::string path = logs_dir + "/app.log";
  append(path, "a1\n");
  settle();
  fs::rename(path, logs_dir + "/app.log.1");
  append(logs_dir + "/app.log.1.gz", std::string("\x1f\x8b\x08\x00 compressed\n", 16));
  append(path, "b1\n");
  settle(6);
  EXPECT_EQ(parent.all_lines(), (std::vector<std::string>{"a1", "b1"}));
}

TEST_F(TailerTest, InodeReuseWithADifferentHeadIsANewFile) {
  const std::string path = logs_dir + "/app.log";
  append(path, "old content\n");
  settle();
  tailer.reset();
  fs::remove(path);
  append(path, "new content, maybe the same inode\n");
  open_tailer();
  settle();
  const auto lines = parent.all_lines();
  EXPECT_EQ(std::count(lines.begin(), lines.end(), "old content"), 1);
  EXPECT_EQ(std::count(lines.begin(), lines.end(), "new content, maybe the same inode"), 1);
}

TEST_F(TailerTest, LongLinesAreSplitAndTheFileGoesOn) {
  options.sources[0].max_line_bytes = 1024;
  ASSERT_TRUE(tailer->configure(options).ok());
  const std::string path = logs_dir + "/app.log";
  append(path, std::string(2500, 'L') + "\nshort\n");
  settle();
  ASSERT_EQ(parent.stored.size(), 4U);
  auto it = parent.stored.begin();
  EXPECT_EQ(it->second.flags, stream::kLogLineContinues);
  EXPECT_EQ(it->second.line.size(), 1024U);
  EXPECT_EQ(std::next(it, 2)->second.line.size(), 452U);
  EXPECT_EQ(std::next(it, 2)->second.flags, 0);
  EXPECT_EQ(std::next(it, 3)->second.line, "short");
  EXPECT_EQ(tailer->stats().sources.at("logs.sources.0").lines_split, 1U);
}

TEST_F(TailerTest, RateLimitDelaysButNeverDrops) {
  options.sources[0].rate_limit = 10;  // bytes per second
  ASSERT_TRUE(tailer->configure(options).ok());
  append(logs_dir + "/app.log", "0123456789\nabcdefghij\nKLMNOPQRST\n");
  tailer->scan();
  tailer->poll();
  parent.ack_all(*tailer);
  EXPECT_EQ(parent.stored.size(), 0U);  // 10 bytes: no full line yet
  for (int i = 0; i < 5; ++i) {
    clock.advance_s(1);
    tailer->poll();
    parent.ack_all(*tailer);
  }
  EXPECT_EQ(parent.all_lines(),
            (std::vector<std::string>{"0123456789", "abcdefghij", "KLMNOPQRST"}));
}

// The wall clock stepped back an hour (NTP, an operator): rate limits and the quiet time of a
// rotated file run on the monotonic clock, so reading neither stalls nor pins the file; records
// carry the wall clock as it now reads.
TEST_F(TailerTest, TheWallClockSteppedBackStallsNothing) {
  options.sources[0].rate_limit = 10;  // bytes per second
  ASSERT_TRUE(tailer->configure(options).ok());
  const std::string path = logs_dir + "/app.log";
  append(path, "0123456789\n");
  settle(3);
  fs::rename(path, logs_dir + "/app.log.1");
  append(logs_dir + "/app.log.1", "abcdefghij\n");
  const int64_t stepped_to = clock.now_s() - 3600;
  clock.set_s(stepped_to);
  for (int i = 0; i < 4; ++i) {
    clock.advance_s(1);
    tailer->scan();
    tailer->poll();
    parent.ack_all(*tailer);
  }
  EXPECT_EQ(parent.all_lines(), (std::vector<std::string>{"0123456789", "abcdefghij"}));
  for (const auto& [key, record] : parent.stored) {
    if (record.line == "abcdefghij") {
      EXPECT_LT(record.time_ms / 1000, stepped_to + 10);
    }
  }
  // Quiet for rotate_wait (1 s here) by the monotonic clock: finished and closed.
  EXPECT_EQ(tailer->stats().sources.at("logs.sources.0").files, 0U);
}

// The checkpoint store's disk fills up: reading and delivery go on, the failed commits are
// counted, and once there is room again every position held in memory is written, so a restart
// reads nothing twice.
TEST_F(TailerTest, ADiskFullUnderTheCheckpointStoreLosesAndRepeatsNothing) {
  test::SmallFilesystem disk(4 << 20);
  if (!disk.mounted()) GTEST_SKIP() << disk.why_not();
  store_dir = disk.path() + "/checkpoints";
  open_tailer();
  append(logs_dir + "/a.log", "a1\n");
  settle();
  ASSERT_TRUE(disk.fill());
  for (int i = 0; i < 50; ++i) {
    append(logs_dir + "/f" + std::to_string(i) + ".log", "f" + std::to_string(i) + "\n");
  }
  append(logs_dir + "/a.log", "a2\n");
  settle();
  EXPECT_EQ(parent.all_lines().size(), 52U);
  EXPECT_GT(tailer->stats().checkpoint_commit_errors, 0U);
  disk.free_space();
  settle(2);
  const size_t received = parent.records_received;
  open_tailer();  // a restart: everything read is checkpointed
  settle();
  EXPECT_EQ(parent.records_received, received);
  EXPECT_EQ(parent.all_lines().size(), 52U);
}

// A checkpoint store on a read-only disk cannot be opened: a clear error naming its directory
// (the agent stops with it). Writable again, the store has every checkpoint it had.
TEST_F(TailerTest, ACheckpointStoreOnAReadOnlyDiskIsAClearError) {
  test::SmallFilesystem disk(4 << 20);
  if (!disk.mounted()) GTEST_SKIP() << disk.why_not();
  store_dir = disk.path() + "/checkpoints";
  open_tailer();
  append(logs_dir + "/a.log", "a1\n");
  settle();
  tailer.reset();
  store.reset();
  ASSERT_TRUE(disk.remount_read_only());
  const auto refused = CheckpointStore::open(store_dir);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().describe().find(store_dir), std::string::npos)
      << refused.error().describe();
  ASSERT_TRUE(disk.remount_writable());
  const size_t received = parent.records_received;
  open_tailer();
  settle();
  EXPECT_EQ(parent.records_received, received);
  EXPECT_EQ(parent.all_lines(), (std::vector<std::string>{"a1"}));
}

TEST_F(TailerTest, DirectoriesAndFifosWhereFilesWereExpectedAreSkipped) {
  fs::create_directories(logs_dir + "/dir.log");
  ASSERT_EQ(::mkfifo((logs_dir + "/fifo.log").c_str(), 0600), 0);
  append(logs_dir + "/real.log", "ok\n");
  settle();
  EXPECT_EQ(parent.all_lines(), (std::vector<std::string>{"ok"}));
  EXPECT_GE(tailer->stats().sources.at("logs.sources.0").not_regular_files, 2U);
}

// A file the agent may not read is counted and logged at each scan, the other files go on, and
// once it is made readable it is read from byte 0: nothing it held is skipped.
TEST_F(TailerTest, AFileItMayNotReadIsRetriedAndReadWholeOnceAllowed) {
  test::PermissionBitsApply as_a_plain_user;
  if (!as_a_plain_user.why_not().empty()) GTEST_SKIP() << as_a_plain_user.why_not();
  const std::string secret = logs_dir + "/secret.log";
  append(secret, "written while unreadable\n");
  ASSERT_EQ(::chmod(secret.c_str(), 0), 0);
  append(logs_dir + "/real.log", "ok\n");
  settle();
  EXPECT_EQ(parent.all_lines(), (std::vector<std::string>{"ok"}));
  EXPECT_GE(tailer->stats().sources.at("logs.sources.0").open_errors, 1U);
  ASSERT_EQ(::chmod(secret.c_str(), 0644), 0);
  append(secret, "and after\n");
  settle();
  EXPECT_EQ(parent.lines_of(secret),
            (std::vector<std::string>{"written while unreadable", "and after"}));
}

// Acks of a busy file come many times a second; their checkpoint advances are written at most
// every ack_commit_interval (each write is a disk sync), then by the next poll, and by a clean
// stop.
TEST_F(TailerTest, AckedCheckpointsAreWrittenAtMostOncePerInterval) {
  const std::string path = logs_dir + "/app.log";
  const std::string one(300, 'a');  // the whole fingerprint: later reads do not grow it
  append(path, one + "\n");
  settle(1);
  const auto ack_next = [&](const std::string& line) {
    append(path, line + "\n");
    tailer->poll();
    parent.ack_all(*tailer);
  };
  ack_next("two");  // a second after the last write: written at once
  const uint64_t commits = tailer->stats().checkpoint_commits;
  ack_next("three");  // at the same instant: kept in memory
  EXPECT_EQ(tailer->stats().checkpoint_commits, commits);
  clock.advance_s(1);
  tailer->poll();  // the interval has passed: written
  EXPECT_EQ(tailer->stats().checkpoint_commits, commits + 1);
  ack_next("four");
  open_tailer();  // a clean stop writes what acks moved on: nothing is read twice
  settle();
  EXPECT_EQ(parent.records_received, 4U);
  EXPECT_EQ(parent.lines_of(path), (std::vector<std::string>{one, "two", "three", "four"}));
}

TEST_F(TailerTest, RedactionAndSamplingApply) {
  options.sources[0].redact = {{"password=\\S+", "password=[REDACTED]"}};
  options.sources[0].sample = {{"DEBUG", 0.0}};
  options.sources[0].parser = "logfmt";
  ASSERT_TRUE(tailer->configure(options).ok());
  append(logs_dir + "/app.log", "level=info user=bob password=hunter2\nlevel=DEBUG noise\n");
  settle();
  ASSERT_EQ(parent.stored.size(), 1U);
  const auto& record = parent.stored.begin()->second;
  EXPECT_EQ(record.line, "level=info user=bob password=[REDACTED]");
  EXPECT_EQ(record.attributes[2], (std::pair<std::string, std::string>{"password", "[REDACTED]"}));
  EXPECT_EQ(tailer->stats().sources.at("logs.sources.0").lines_sampled_out, 1U);
}

TEST_F(TailerTest, ABadPatternIsAConfigErrorNamingTheSource) {
  options.sources[0].redact = {{"(unclosed", "x"}};
  const Status status = tailer->configure(options);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find("logs.sources.0.redact.0"), std::string::npos);
}

TEST_F(TailerTest, AHundredMegabyteLineIsSplitAndTheFileGoesOn) {
  const std::string path = logs_dir + "/app.log";
  {
    std::ofstream out(path, std::ios::binary);
    const std::string chunk(1 << 20, 'z');
    for (int i = 0; i < 100; ++i) out << chunk;
    out << "\nafter\n";
  }
  for (int round = 0; round < 100 && parent.lines_of(path).size() < 1602; ++round) settle(1);
  const auto lines = parent.lines_of(path);
  // 1,600 pieces of 64 KiB marked `continues`, the empty last piece the newline ends, "after".
  ASSERT_EQ(lines.size(), 1602U);
  EXPECT_EQ(lines.back(), "after");
  EXPECT_EQ(tailer->stats().sources.at("logs.sources.0").lines_split, 1U);
}

TEST_F(TailerTest, AGlobMatchingTenThousandFiles) {
  for (int i = 0; i < 10'000; ++i) {
    append(logs_dir + "/f" + std::to_string(i) + ".log", "line of " + std::to_string(i) + "\n");
  }
  for (int round = 0; round < 20 && parent.stored.size() < 10'000; ++round) settle(1);
  EXPECT_EQ(parent.stored.size(), 10'000U);
  EXPECT_EQ(tailer->stats().sources.at("logs.sources.0").files, 10'000U);
}

TEST_F(TailerTest, RecursiveGlobsFindFilesInSubdirectories) {
  options = source_options(logs_dir + "/**/*.log");
  ASSERT_TRUE(tailer->configure(options).ok());
  fs::create_directories(logs_dir + "/a/b");
  append(logs_dir + "/top.log", "top\n");
  append(logs_dir + "/a/b/deep.log", "deep\n");
  settle();
  auto lines = parent.all_lines();
  std::sort(lines.begin(), lines.end());
  EXPECT_EQ(lines, (std::vector<std::string>{"deep", "top"}));
}

}  // namespace
}  // namespace trib::agent::logs
