#include "common/config/simple_pattern.h"

#include <gtest/gtest.h>

namespace trib::config {
namespace {

using V = SimplePattern::Verdict;

TEST(SimplePattern, SpecExampleFirstMatchWins) {
  const SimplePattern p("!10.1.2.3 10.*");
  EXPECT_TRUE(p.matches("10.9.9.9"));
  EXPECT_FALSE(p.matches("10.1.2.3"));
  EXPECT_FALSE(p.matches("192.168.1.1"));
  EXPECT_EQ(p.evaluate("10.1.2.3"), V::negative);
  EXPECT_EQ(p.evaluate("192.168.1.1"), V::no_match);
  EXPECT_EQ(p.evaluate("10.9.9.9"), V::positive);
}

TEST(SimplePattern, OrderMatters) {
  const SimplePattern p("10.* !10.1.2.3");
  EXPECT_TRUE(p.matches("10.1.2.3"));
}

TEST(SimplePattern, WildcardsAnywhereAnyNumberOfTimes) {
  EXPECT_TRUE(SimplePattern("*").matches(""));
  EXPECT_TRUE(SimplePattern("*").matches("anything"));
  EXPECT_TRUE(SimplePattern("system.*").matches("system.cpu"));
  EXPECT_TRUE(SimplePattern("*.cpu").matches("system.cpu"));
  EXPECT_TRUE(SimplePattern("*cp*").matches("system.cpu"));
  EXPECT_TRUE(SimplePattern("a*b*c").matches("aXXbYYc"));
  EXPECT_TRUE(SimplePattern("a*b*c").matches("abc"));
  EXPECT_FALSE(SimplePattern("a*b*c").matches("aXXbYY"));
  EXPECT_TRUE(SimplePattern("**a**").matches("xa"));
  EXPECT_TRUE(SimplePattern("a*a*a").matches("aaaaa"));
  EXPECT_FALSE(SimplePattern("a*ab").matches("aaaa"));
  EXPECT_FALSE(SimplePattern("exact").matches("exactly"));
  EXPECT_FALSE(SimplePattern("Exact").matches("exact"));  // case-sensitive
}

TEST(SimplePattern, WhitespaceSeparatesAndBackslashEscapes) {
  const SimplePattern p(" \tfoo\n  bar  ");
  EXPECT_TRUE(p.matches("foo"));
  EXPECT_TRUE(p.matches("bar"));
  EXPECT_FALSE(p.matches("foo bar"));
  const SimplePattern spaced("foo\\ bar");
  EXPECT_TRUE(spaced.matches("foo bar"));
  EXPECT_FALSE(spaced.matches("foo"));
  const SimplePattern bang("\\!x");
  EXPECT_TRUE(bang.matches("!x"));
  EXPECT_EQ(SimplePattern("a\\").evaluate("a\\"), V::positive);  // trailing backslash is literal
}

TEST(SimplePattern, EmptyListMatchesNothingButAllowsEverything) {
  const SimplePattern empty("   ");
  EXPECT_TRUE(empty.empty());
  EXPECT_FALSE(empty.matches("1.2.3.4"));
  EXPECT_TRUE(empty.allows("1.2.3.4"));
  const SimplePattern star("*");
  EXPECT_TRUE(star.allows("1.2.3.4"));
  const SimplePattern deny("!1.2.3.4 *");
  EXPECT_FALSE(deny.allows("1.2.3.4"));
  EXPECT_TRUE(deny.allows("1.2.3.5"));
  const SimplePattern only("10.*");
  EXPECT_FALSE(only.allows("11.0.0.1"));
}

TEST(SimplePattern, KeepsTheConfiguredText) {
  EXPECT_EQ(SimplePattern("!a b*").text(), "!a b*");
  EXPECT_EQ(SimplePattern("x"), SimplePattern("x"));
}

}  // namespace
}  // namespace trib::config
