#include "agent/logs/line_splitter.h"

#include <gtest/gtest.h>

namespace trib::agent::logs {
namespace {

struct Collected {
  std::vector<std::tuple<uint64_t, std::string, bool, bool>> lines;
  LineSplitter::Sink sink() {
    return [this](const Line& l) {
      lines.emplace_back(l.offset, std::string(l.text), l.continues, l.unterminated);
    };
  }
};

TEST(LineSplitterTest, SplitsOnNewlinesWithOffsetsAcrossChunks) {
  LineSplitter splitter(100, 10);
  Collected c;
  splitter.feed("ab\ncd", c.sink());
  EXPECT_EQ(splitter.consumed(), 13U);
  EXPECT_EQ(splitter.fed(), 15U);
  splitter.feed("e\n\nf", c.sink());
  using T = std::tuple<uint64_t, std::string, bool, bool>;
  EXPECT_EQ(c.lines,
            (std::vector<T>{
                {10, "ab", false, false}, {13, "cde", false, false}, {17, "", false, false}}));
  EXPECT_EQ(splitter.consumed(), 18U);
  splitter.flush(c.sink());
  EXPECT_EQ(c.lines.back(), (T{18, "f", false, true}));
  EXPECT_EQ(splitter.consumed(), 19U);
}

TEST(LineSplitterTest, LongLinesAreCutIntoMarkedPieces) {
  LineSplitter splitter(4, 0);
  Collected c;
  splitter.feed("abcdefghij\nxy\n", c.sink());
  using T = std::tuple<uint64_t, std::string, bool, bool>;
  EXPECT_EQ(c.lines, (std::vector<T>{{0, "abcd", true, false},
                                     {4, "efgh", true, false},
                                     {8, "ij", false, false},
                                     {11, "xy", false, false}}));
  EXPECT_EQ(splitter.stats().lines_split, 1U);
  EXPECT_EQ(splitter.stats().lines, 2U);
}

TEST(LineSplitterTest, NulRunsAtLineStartsAreSkippedAndCounted) {
  LineSplitter splitter(100, 0);
  Collected c;
  splitter.feed(std::string("a\n\0\0\0b\0c\n", 9), c.sink());
  ASSERT_EQ(c.lines.size(), 2U);
  EXPECT_EQ(std::get<0>(c.lines[1]), 5U);
  EXPECT_EQ(std::get<1>(c.lines[1]), std::string("b\0c", 3));  // inside a line: kept
  EXPECT_EQ(splitter.stats().nul_bytes_skipped, 3U);
}

TEST(LineSplitterTest, InvalidUtf8PassesThrough) {
  LineSplitter splitter(100, 0);
  Collected c;
  splitter.feed("\xff\xfe\xc3(\n", c.sink());
  ASSERT_EQ(c.lines.size(), 1U);
  EXPECT_EQ(std::get<1>(c.lines[0]), "\xff\xfe\xc3(");
}

}  // namespace
}  // namespace trib::agent::logs
