#include "common/collectors/proc_text.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace trib::collectors {
namespace {

TEST(ProcTextTest, TokenizerSplitsLinesAndWords) {
  Tokenizer lines("cpu  1 2\n\tintr 3\n");
  Tokenizer first(lines.next_line());
  EXPECT_EQ(first.next_word(), "cpu");
  EXPECT_EQ(first.next_word(), "1");
  EXPECT_EQ(first.next_word(), "2");
  EXPECT_EQ(first.next_word(), "");
  Tokenizer second(lines.next_line());
  EXPECT_EQ(second.next_word(), "intr");
  EXPECT_TRUE(lines.done());
}

TEST(ProcTextTest, NumbersMustBeWhole) {
  uint64_t u = 0;
  EXPECT_TRUE(parse_u64("18446744073709551615", u));
  EXPECT_EQ(u, 18446744073709551615u);
  EXPECT_FALSE(parse_u64("12kB", u));
  EXPECT_FALSE(parse_u64("", u));
  EXPECT_FALSE(parse_u64("-1", u));
  double d = 0;
  EXPECT_TRUE(parse_double("0.49", d));
  EXPECT_DOUBLE_EQ(d, 0.49);
}

TEST(ProcTextTest, PatternsIdsAndEscapes) {
  EXPECT_TRUE(matches_pattern("loop*", "loop0"));
  EXPECT_FALSE(matches_pattern("loop*", "xloop0"));
  EXPECT_TRUE(matches_pattern("*-ifb", "eth0-ifb"));
  EXPECT_TRUE(matches_pattern("*gluster*", "fuse.glusterfs"));
  EXPECT_FALSE(matches_pattern("lo", "lo0"));
  EXPECT_TRUE(matches_pattern("/proc/*", "/proc/sys/fs/binfmt_misc"));
  EXPECT_FALSE(matches_pattern("/proc/*", "/proc"));
  EXPECT_EQ(fix_chart_id("/home/a b"), "_home_a_b");
  EXPECT_EQ(fix_chart_id("dm-0.x_y"), "dm-0.x_y");
  EXPECT_EQ(decode_octal_escapes("/mnt/a\\040b\\011"), "/mnt/a b\t");
  EXPECT_EQ(decode_octal_escapes("trailing\\04"), "trailing\\04");
}

TEST(ProcTextTest, FileReaderGrowsAndReportsErrors) {
  auto path =
      std::filesystem::temp_directory_path() / ("trib_proc_text_" + std::to_string(::getpid()));
  std::string big(10000, 'x');
  std::ofstream(path) << big;
  FileReader reader(16);
  auto text = reader.read(path.string());
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, big);
  std::filesystem::remove(path);
  auto missing = reader.read(path.string());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().describe().find(path.string()), std::string::npos);
}

TEST(ProcTextTest, FileReaderRereadsAKeptProcFileFresh) {
  // /proc/self/io counts the bytes this process reads: reading it twice through the kept
  // descriptor must show the second count higher, or the text would be stale.
  FileReader reader;
  const auto rchar = [&] {
    auto text = reader.read("/proc/self/io");
    EXPECT_TRUE(text.ok());
    uint64_t value = 0;
    Tokenizer words(text.ok() ? *text : std::string_view());
    words.next_word();  // "rchar:"
    EXPECT_TRUE(parse_u64(words.next_word(), value));
    return value;
  };
  const uint64_t first = rchar();
  const uint64_t second = rchar();
  EXPECT_GT(second, first);
}

}  // namespace
}  // namespace trib::collectors
