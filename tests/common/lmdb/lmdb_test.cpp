#include "common/lmdb/lmdb.h"

#include <gtest/gtest.h>

#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <string>
#include <vector>

#include "tests/support/process.h"

namespace trib::lmdb {
namespace {

// KiB of the mapping holding `bytes` that are in this process's RSS (/proc/self/smaps).
size_t mapped_kib(std::string_view bytes) {
  const auto at = reinterpret_cast<uintptr_t>(bytes.data());
  std::ifstream smaps("/proc/self/smaps");
  bool inside = false;
  for (std::string line; std::getline(smaps, line);) {
    uintptr_t from = 0;
    uintptr_t to = 0;
    if (std::sscanf(line.c_str(), "%" SCNxPTR "-%" SCNxPTR, &from, &to) == 2 &&
        line.find(' ') < line.find(':')) {
      inside = from <= at && at < to;
    } else if (inside && line.rfind("Rss:", 0) == 0) {
      return std::stoul(line.substr(4));
    }
  }
  return 0;
}

class LmdbTest : public ::testing::Test {
 protected:
  Env open_env(size_t map_size = size_t{1} << 24) {
    EnvOptions options;
    options.path = dir_ / "db";
    options.map_size = map_size;
    auto env = Env::open(options);
    EXPECT_TRUE(env.ok()) << env.error().describe();
    return std::move(env).value();
  }

  static Dbi open_dbi(Env& env, const char* name) {
    auto txn = Txn::begin_write(env);
    EXPECT_TRUE(txn.ok());
    auto dbi = Dbi::open(*txn, name, MDB_CREATE);
    EXPECT_TRUE(dbi.ok()) << dbi.error().describe();
    EXPECT_TRUE(txn->commit().ok());
    return *dbi;
  }

  test::TempDir dir_;
};

TEST_F(LmdbTest, CommittedWritesSurviveReopeningAndAbortedOnesVanish) {
  {
    Env env = open_env();
    Dbi dbi = open_dbi(env, "kv");
    auto txn = Txn::begin_write(env);
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE(put(*txn, dbi, "kept", "1").ok());
    ASSERT_TRUE(txn->commit().ok());
    auto aborted = Txn::begin_write(env);
    ASSERT_TRUE(put(*aborted, dbi, "dropped", "2").ok());
    aborted->abort();
  }
  Env env = open_env();
  Dbi dbi = open_dbi(env, "kv");
  auto txn = Txn::begin_read(env);
  ASSERT_TRUE(txn.ok());
  auto kept = get(*txn, dbi, "kept");
  ASSERT_TRUE(kept.ok());
  ASSERT_TRUE(kept->has_value());
  EXPECT_EQ(**kept, "1");
  auto dropped = get(*txn, dbi, "dropped");
  ASSERT_TRUE(dropped.ok());
  EXPECT_FALSE(dropped->has_value());
  auto count = entries(*txn, dbi);
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 1u);
}

TEST_F(LmdbTest, BigEndianKeysIterateInNumericOrder) {
  Env env = open_env();
  Dbi dbi = open_dbi(env, "seq");
  auto txn = Txn::begin_write(env);
  for (uint64_t n : {300u, 2u, 70000u, 1u}) {
    std::string key;
    append_u64_be(key, n);
    ASSERT_TRUE(put(*txn, dbi, key, std::to_string(n)).ok());
  }
  std::vector<uint64_t> seen;
  {
    auto cursor = Cursor::open(*txn, dbi);
    ASSERT_TRUE(cursor.ok());
    std::string from;
    append_u64_be(from, 3);
    for (auto at = cursor->seek(from); at.ok() && *at; at = cursor->next()) {
      seen.push_back(read_u64_be(cursor->key()));
      EXPECT_EQ(cursor->value(), std::to_string(seen.back()));
    }
  }
  EXPECT_EQ(seen, (std::vector<uint64_t>{300, 70000}));
  ASSERT_TRUE(txn->commit().ok());
}

TEST_F(LmdbTest, CursorDeletesWhileWalking) {
  Env env = open_env();
  Dbi dbi = open_dbi(env, "q");
  auto txn = Txn::begin_write(env);
  for (uint32_t n = 0; n < 10; ++n) {
    std::string key;
    append_u32_be(key, n);
    ASSERT_TRUE(put(*txn, dbi, key, "x").ok());
  }
  {
    auto cursor = Cursor::open(*txn, dbi);
    ASSERT_TRUE(cursor.ok());
    // Drop the oldest three, as a bounded queue does.
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(*cursor->first());
      ASSERT_TRUE(cursor->erase_current().ok());
    }
    ASSERT_TRUE(*cursor->first());
    EXPECT_EQ(read_u32_be(cursor->key()), 3u);
  }
  EXPECT_EQ(*entries(*txn, dbi), 7u);
  ASSERT_TRUE(txn->commit().ok());
}

TEST_F(LmdbTest, AFullMapIsReportedAndGrowingItLetsTheWriteThrough) {
  Env env = open_env(size_t{1} << 20);
  Dbi dbi = open_dbi(env, "big");
  const std::string value(64 * 1024, 'v');
  Status failed;
  int written = 0;
  for (; written < 64; ++written) {
    auto txn = Txn::begin_write(env);
    ASSERT_TRUE(txn.ok());
    failed = put(*txn, dbi, std::to_string(written), value);
    if (!failed.ok()) break;
    failed = txn->commit();
    if (!failed.ok()) break;
  }
  ASSERT_FALSE(failed.ok()) << "1 MiB map never filled";
  EXPECT_TRUE(is_map_full(failed.error())) << failed.error().describe();
  EXPECT_NE(failed.error().describe().find("MDB_MAP_FULL"), std::string::npos);

  ASSERT_TRUE(env.set_map_size(size_t{1} << 23).ok());
  auto txn = Txn::begin_write(env);
  ASSERT_TRUE(put(*txn, dbi, "after-growth", value).ok());
  ASSERT_TRUE(txn->commit().ok());
  EXPECT_GT(env.used_bytes(), size_t{1} << 20);
}

TEST_F(LmdbTest, AForeignFileIsAClearErrorNotACrash) {
  std::filesystem::create_directories(dir_ / "db");
  test::write_file(dir_ / "db/data.mdb", std::string(64 * 1024, 'Z'));
  EnvOptions options;
  options.path = dir_ / "db";
  auto env = Env::open(options);
  ASSERT_FALSE(env.ok());
  EXPECT_NE(env.error().describe().find("corrupt or foreign"), std::string::npos)
      << env.error().describe();
}

TEST_F(LmdbTest, AReaderDoesNotSeeUncommittedWrites) {
  Env env = open_env();
  Dbi dbi = open_dbi(env, "iso");
  auto writer = Txn::begin_write(env);
  ASSERT_TRUE(put(*writer, dbi, "k", "v").ok());
  auto reader = Txn::begin_read(env);
  ASSERT_TRUE(reader.ok());
  EXPECT_FALSE(get(*reader, dbi, "k")->has_value());
  ASSERT_TRUE(writer->commit().ok());
  EXPECT_FALSE(get(*reader, dbi, "k")->has_value()) << "a snapshot does not move";
  reader->abort();
  auto fresh = Txn::begin_read(env);
  EXPECT_TRUE(get(*fresh, dbi, "k")->has_value());
}

TEST_F(LmdbTest, ReleasedMappedPagesLeaveTheProcessAndReadBackTheSame) {
  Env env = open_env();
  Dbi dbi = open_dbi(env, "kv");
  const std::string value(1 << 20, 'v');
  {
    auto txn = Txn::begin_write(env);
    ASSERT_TRUE(put(*txn, dbi, "big", value).ok());
    ASSERT_TRUE(txn->commit().ok());
  }
  auto reader = Txn::begin_read(env);
  ASSERT_TRUE(reader.ok());
  const std::string_view mapped = **get(*reader, dbi, "big");
  EXPECT_EQ(std::accumulate(mapped.begin(), mapped.end(), size_t{0}), value.size() * 'v');
  EXPECT_GE(mapped_kib(mapped), 1024u) << "reading the value maps its pages";

  ASSERT_TRUE(env.release_mapped_pages().ok());
  EXPECT_EQ(mapped_kib(mapped), 0u);
  EXPECT_EQ(mapped, value) << "a read after the release maps the same bytes again";
}

}  // namespace
}  // namespace trib::lmdb
