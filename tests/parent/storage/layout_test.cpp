#include "parent/storage/layout.h"

#include <gtest/gtest.h>

#include <vector>

#include "common/stream/wire.h"
#include "common/stream/zstd_codec.h"

namespace trib::parent::storage::layout {
namespace {

std::string some_rows() {
  std::string rows;
  const std::vector<uint32_t> ids = {1, 2, 300};
  const std::vector<double> values = {1.5, -2.0, 1e6};
  append_journal_row(rows, 1'700'000'000, ids, values);
  append_journal_row(rows, 1'700'000'001, ids, values);
  return rows;
}

TEST(JournalValueTest, StoredRowsReadBackAsTheyWereWritten) {
  const std::string rows = some_rows();
  auto unpacked = unpack_journal(pack_journal(rows));
  ASSERT_TRUE(unpacked.ok()) << unpacked.error().describe();
  EXPECT_EQ(*unpacked, rows);
}

TEST(JournalValueTest, CompressedRowsOfEarlierVersionsStillReadBack) {
  const std::string rows = some_rows();
  std::string value;
  stream::wire::put_varint(value, rows.size());
  ASSERT_TRUE(stream::ZstdCompressor(1).compress(rows, value).ok());
  auto unpacked = unpack_journal(value);
  ASSERT_TRUE(unpacked.ok()) << unpacked.error().describe();
  EXPECT_EQ(*unpacked, rows);
}

TEST(JournalValueTest, ACompressedValueThatDoesNotExpandToItsSizeIsCorrupt) {
  const std::string rows = some_rows();
  std::string value;
  stream::wire::put_varint(value, rows.size() + 1);
  ASSERT_TRUE(stream::ZstdCompressor(1).compress(rows, value).ok());
  EXPECT_FALSE(unpack_journal(value).ok());
}

}  // namespace
}  // namespace trib::parent::storage::layout
