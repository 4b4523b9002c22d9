#include "parent/health/expression.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>

namespace trib::parent::health {
namespace {

class MapVariables final : public Variables {
 public:
  std::map<std::string, double, std::less<>> values;
  std::optional<double> lookup(std::string_view name) const override {
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  }
};

double eval(std::string_view text, const MapVariables& vars = {}) {
  auto e = Expression::parse(text);
  EXPECT_TRUE(e.ok()) << text << ": " << (e.ok() ? "" : e.error().message);
  if (!e.ok()) return -12345;
  return e->evaluate(vars).value;
}

std::string parse_error(std::string_view text) {
  auto e = Expression::parse(text);
  EXPECT_FALSE(e.ok()) << text;
  return e.ok() ? "" : e.error().message;
}

TEST(Expression, ArithmeticAndPrecedence) {
  EXPECT_EQ(eval("1 + 2 * 3"), 7);
  EXPECT_EQ(eval("(1 + 2) * 3"), 9);
  EXPECT_EQ(eval("10 - 4 - 3"), 3);  // left associative
  EXPECT_EQ(eval("7 % 4"), 3);
  EXPECT_EQ(eval("-2 * -3"), 6);
  EXPECT_EQ(eval("+5"), 5);
  EXPECT_EQ(eval("1.5e2"), 150);
  EXPECT_EQ(eval("abs(-4)"), 4);
  EXPECT_EQ(eval("8 / 2 / 2"), 2);
}

TEST(Expression, ComparisonsAndLogic) {
  EXPECT_EQ(eval("3 > 2"), 1);
  EXPECT_EQ(eval("3 < 2"), 0);
  EXPECT_EQ(eval("2 >= 2 && 2 <= 2"), 1);
  EXPECT_EQ(eval("1 == 1"), 1);
  EXPECT_EQ(eval("1 = 1"), 1);
  EXPECT_EQ(eval("1 != 1"), 0);
  EXPECT_EQ(eval("1 <> 2"), 1);
  EXPECT_EQ(eval("0 || 2"), 1);
  EXPECT_EQ(eval("!0"), 1);
  EXPECT_EQ(eval("1 AND 0"), 0);
  EXPECT_EQ(eval("0 or 1"), 1);
  EXPECT_EQ(eval("NOT 1"), 0);
  EXPECT_EQ(eval("1 ? 10 : 20"), 10);
  EXPECT_EQ(eval("0 ? 10 : 1 ? 30 : 40"), 30);  // right associative
}

TEST(Expression, NetdataHysteresisForm) {
  MapVariables vars;
  vars.values = {{"WARNING", 3}, {"CRITICAL", 4}, {"this", 80}, {"status", 1}};
  const char* warn = "$this > (($status >= $WARNING) ? 75 : 85)";
  EXPECT_EQ(eval(warn, vars), 0);  // clear: the raise threshold is 85
  vars.values["status"] = 3;
  EXPECT_EQ(eval(warn, vars), 1);  // warning: stays raised until below 75
  vars.values["this"] = 70;
  EXPECT_EQ(eval(warn, vars), 0);
}

TEST(Expression, Variables) {
  MapVariables vars;
  vars.values = {{"this", 5}, {"a name", 2}, {"system.cpu.user", 7}};
  EXPECT_EQ(eval("$this * ${a name}", vars), 10);
  EXPECT_EQ(eval("$system.cpu.user", vars), 7);
  auto e = Expression::parse("$this + $missing + $other");
  ASSERT_TRUE(e.ok());
  const Evaluation r = e->evaluate(vars);
  EXPECT_TRUE(std::isnan(r.value));
  EXPECT_EQ(r.unknown_variable, "missing");
}

TEST(Expression, UndefinedNeverCrashes) {
  EXPECT_TRUE(std::isnan(eval("1 / 0")));
  EXPECT_TRUE(std::isnan(eval("5 % 0")));
  EXPECT_TRUE(std::isnan(eval("$nothing > 3")));
  EXPECT_TRUE(std::isnan(eval("nan + 1")));
  EXPECT_TRUE(std::isnan(eval("nan > 1")));
  EXPECT_TRUE(std::isnan(eval("nan ? 1 : 2")));
  EXPECT_TRUE(std::isnan(eval("!nan")));
  EXPECT_EQ(eval("nan == nan"), 1);  // Netdata lets rules test for "no value"
  EXPECT_EQ(eval("1 == nan"), 0);
  EXPECT_EQ(eval("0 && nan"), 0);  // short-circuits
  EXPECT_EQ(eval("1 || nan"), 1);
  EXPECT_TRUE(std::isinf(eval("inf")));
  EXPECT_EQ(eval("inf > 1e308"), 1);
}

TEST(Expression, OnlyTheChosenBranchIsEvaluated) {
  MapVariables vars;
  auto e = Expression::parse("1 ? 2 : $missing");
  ASSERT_TRUE(e.ok());
  const Evaluation r = e->evaluate(vars);
  EXPECT_EQ(r.value, 2);
  EXPECT_TRUE(r.unknown_variable.empty());
}

TEST(Expression, ParseErrorsNameTheOffset) {
  EXPECT_NE(parse_error("1 +").find("at offset 3"), std::string::npos);
  EXPECT_NE(parse_error("(1 + 2").find("expected ')'"), std::string::npos);
  EXPECT_NE(parse_error("$").find("without a variable name"), std::string::npos);
  EXPECT_NE(parse_error("${open").find("closing"), std::string::npos);
  EXPECT_NE(parse_error("1 ? 2").find("expected ':'"), std::string::npos);
  EXPECT_NE(parse_error("hello").find("expected a number"), std::string::npos);
  EXPECT_NE(parse_error("1 2").find("unexpected '2'"), std::string::npos);
  parse_error("");
}

TEST(Expression, DepthAndLengthAreBounded) {
  EXPECT_NE(parse_error(std::string(100, '(') + "1" + std::string(100, ')')).find("nested"),
            std::string::npos);
  EXPECT_NE(parse_error(std::string(100, '-') + "1").find("nested"), std::string::npos);
  std::string chain = "1";
  for (int i = 0; i < 1000; ++i) chain += "+1";
  EXPECT_NE(parse_error(chain).find("chained"), std::string::npos);
  EXPECT_NE(parse_error(std::string(5000, '1')).find("at most"), std::string::npos);
  EXPECT_EQ(eval(std::string(60, '(') + "1" + std::string(60, ')')), 1);
}

TEST(Expression, PrintsItsTreeBackParseably) {
  auto e = Expression::parse("$this > (($status >= $WARNING) ? 75 : 85) && !abs(-$x)");
  ASSERT_TRUE(e.ok());
  const std::string printed = e->to_string();
  EXPECT_EQ(printed, "((${this} > ((${status} >= ${WARNING}) ? 75 : 85)) && !(abs(-(${x}))))");
  auto again = Expression::parse(printed);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->to_string(), printed);
}

}  // namespace
}  // namespace trib::parent::health
