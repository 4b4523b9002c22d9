#include "agent/logs/parsers.h"

#include <gtest/gtest.h>

#include "agent/logs/line_processor.h"

namespace trib::agent::logs {
namespace {

using A = Attributes;

TEST(ParsersTest, JsonObjectsBecomeAttributes) {
  A out;
  ASSERT_TRUE(parse_json_line(R"({"level":"info","n":3,"ok":true,"o":{"a":1}})", out));
  EXPECT_EQ(out, (A{{"level", "info"}, {"n", "3"}, {"ok", "true"}, {"o", R"({"a":1})"}}));
  A bad;
  EXPECT_FALSE(parse_json_line("[1,2]", bad));
  EXPECT_FALSE(parse_json_line("{\"a\":", bad));
  EXPECT_FALSE(parse_json_line(std::string(100, '['), bad));
}

TEST(ParsersTest, Logfmt) {
  A out;
  ASSERT_TRUE(parse_logfmt_line(R"(level=warn msg="disk \"sda\" slow" took=3ms flag)", out));
  EXPECT_EQ(out,
            (A{{"level", "warn"}, {"msg", "disk \"sda\" slow"}, {"took", "3ms"}, {"flag", ""}}));
  A bad;
  EXPECT_FALSE(parse_logfmt_line(R"(a="unterminated)", bad));
  EXPECT_FALSE(parse_logfmt_line("", bad));
}

TEST(ParsersTest, SyslogBothFormats) {
  A rfc3164;
  ASSERT_TRUE(
      parse_syslog_line("<34>Oct 11 22:14:15 mymachine su[123]: 'su root' failed", rfc3164));
  EXPECT_EQ(rfc3164, (A{{"facility", "4"},
                        {"severity", "crit"},
                        {"timestamp", "Oct 11 22:14:15"},
                        {"host", "mymachine"},
                        {"pid", "123"},
                        {"app", "su"},
                        {"message", "'su root' failed"}}));
  A rfc5424;
  ASSERT_TRUE(parse_syslog_line(
      "<165>1 2003-10-11T22:14:15.003Z host evntslog - ID47 [exampleSDID@32473 iut=\"3\"] hi",
      rfc5424));
  EXPECT_EQ(rfc5424, (A{{"facility", "20"},
                        {"severity", "notice"},
                        {"timestamp", "2003-10-11T22:14:15.003Z"},
                        {"host", "host"},
                        {"app", "evntslog"},
                        {"msgid", "ID47"},
                        {"structured_data", "[exampleSDID@32473 iut=\"3\"]"},
                        {"message", "hi"}}));
  A bad;
  EXPECT_FALSE(parse_syslog_line("no priority", bad));
  EXPECT_FALSE(parse_syslog_line("<999>x", bad));
  EXPECT_TRUE(bad.empty());
}

TEST(LineProcessorTest, UnparsedLinesAreKeptWholeAndCounted) {
  LogSourceOptions options;
  options.parser = "json";
  auto processor = LineProcessor::create(options, "src", 1);
  ASSERT_TRUE(processor.ok());
  std::string line;
  A attributes;
  EXPECT_TRUE((*processor)->process("not json", line, attributes));
  EXPECT_EQ(line, "not json");
  EXPECT_TRUE(attributes.empty());
  EXPECT_EQ((*processor)->stats().lines_unparsed, 1U);
}

TEST(LineProcessorTest, SamplingKeepsAboutTheFraction) {
  LogSourceOptions options;
  options.sample = {{"DEBUG", 0.25}};
  auto processor = LineProcessor::create(options, "src", 42);
  ASSERT_TRUE(processor.ok());
  std::string line;
  A attributes;
  int kept = 0;
  for (int i = 0; i < 4000; ++i) kept += (*processor)->process("DEBUG x", line, attributes);
  EXPECT_NEAR(kept, 1000, 150);
  EXPECT_TRUE((*processor)->process("INFO x", line, attributes));  // no rule matches: kept
}

TEST(LineProcessorTest, RewritesMustFitThePattern) {
  LogSourceOptions options;
  options.redact = {{"a(b)", "\\2"}};
  auto processor = LineProcessor::create(options, "logs.sources.1", 1);
  ASSERT_FALSE(processor.ok());
  EXPECT_NE(processor.error().message.find("logs.sources.1.redact.0.replace"), std::string::npos);
}

}  // namespace
}  // namespace trib::agent::logs
