#include "agent/logs/checkpoint_store.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "agent/logs/discovery.h"
#include "support/process.h"

namespace trib::agent::logs {
namespace {

TEST(CheckpointStoreTest, RoundTripsAndRemoves) {
  test::TempDir dir;
  FileCheckpoint a{"/var/log/a.log", 3, "/var/log/a.log.1", {1, 2}, {10, 99}, {500, 64, 7}, false};
  FileCheckpoint b{"/var/log/b.log", 1, "/var/log/b.log", {1, 3}, {0, 5}, {0, 0, 5}, true};
  {
    auto store = std::move(CheckpointStore::open(dir / "cp")).value();
    ASSERT_TRUE(store->commit({a, b}, {}, {{"/var/log/a.log", 3}}).ok());
    ASSERT_TRUE(store->mark_scanned("k").ok());
  }
  auto store = std::move(CheckpointStore::open(dir / "cp")).value();
  EXPECT_EQ(store->load_all().value(), (std::vector<FileCheckpoint>{a, b}));
  EXPECT_EQ(store->load_generations().value().at("/var/log/a.log"), 3U);
  EXPECT_TRUE(store->was_scanned("k").value());
  EXPECT_FALSE(store->was_scanned("other").value());
  ASSERT_TRUE(store->commit({}, {{"/var/log/a.log", 3}}).ok());
  EXPECT_EQ(store->load_all().value(), (std::vector<FileCheckpoint>{b}));
}

TEST(CheckpointStoreTest, CorruptRecordsAreErrors) {
  EXPECT_FALSE(decode_checkpoint("no generation", "").ok());
  EXPECT_FALSE(decode_checkpoint(checkpoint_key("/a", 1), "\x05garbage").ok());
  FileCheckpoint c{"/a", 1, "/a", {}, {}, {10, 65, 0}, false};  // check longer than allowed
  EXPECT_FALSE(decode_checkpoint(checkpoint_key("/a", 1), encode_checkpoint(c)).ok());
}

TEST(CheckpointStoreTest, HundredThousandCheckpointsLoadQuickly) {
  test::TempDir dir;
  auto store = std::move(CheckpointStore::open(dir / "cp")).value();
  std::vector<FileCheckpoint> many;
  for (int i = 0; i < 100'000; ++i) {
    many.push_back({"/var/log/f" + std::to_string(i) + ".log",
                    1,
                    "/var/log/f.log",
                    {1, static_cast<uint64_t>(i)},
                    {256, 1},
                    {4096, 64, 2},
                    false});
  }
  ASSERT_TRUE(store->commit(many, {}).ok());
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(store->load_all().value().size(), 100'000U);
  // Generous: the machine is shared; tests/bench/tail_bench.cpp measures against the 1 s target.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(DiscoveryTest, GlobsExcludesAndRoots) {
  test::TempDir dir;
  std::filesystem::create_directories(dir / "app/x/y");
  for (const char* f :
       {"app/a.log", "app/a.log.1", "app/b.log.gz", "app/x/y/c.log", "app/.h.log"}) {
    test::write_file(dir / f, "");
  }
  const auto found = expand_globs({dir / "app/**/*.log", dir / "app/*.log*"}, {"*.gz", "*.[0-9]"});
  EXPECT_EQ(found, (std::set<std::string>{dir / "app/a.log", dir / "app/x/y/c.log"}));
  EXPECT_EQ(watch_root("/var/log/app/**/*.log"), "/var/log/app");
  EXPECT_EQ(watch_root("/var/log/*.log"), "/var/log");
  EXPECT_TRUE(is_excluded("/x/y.gz", {"*.gz"}));
  EXPECT_TRUE(is_excluded("/x/y/z.log", {"/x/y/*"}));
}

}  // namespace
}  // namespace trib::agent::logs
