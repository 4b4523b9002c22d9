#include "parent/health/rule_loader.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace trib::parent::health {
namespace {

using std::chrono::seconds;

// The form issue 8 requires to work, unquoted `? 75 : 85` included.
constexpr const char* kIssueExample = R"(alarms:
  - name: cpu_usage
    on: system.cpu
    lookup: average -1m of user,system
    every: 10s
    warn: $this > (($status >= $WARNING) ? 75 : 85)
    crit: $this > (($status == $CRITICAL) ? 85 : 95)
    delay: {down: 5m, multiplier: 1.5, max: 1h}
    info: average CPU utilization over the last minute
    to: sysadmin
)";

TEST(RuleLoader, TheIssueExampleLoads) {
  const RuleSet set = parse_rules(kIssueExample, "health.d/cpu.yaml");
  ASSERT_TRUE(set.errors.empty()) << set.errors.front();
  ASSERT_EQ(set.rules.size(), 1u);
  const Rule& r = *set.rules[0];
  EXPECT_EQ(r.name, "cpu_usage");
  EXPECT_EQ(r.on, "system.cpu");
  ASSERT_TRUE(r.lookup.has_value());
  EXPECT_EQ(r.lookup->method, LookupMethod::average);
  EXPECT_EQ(r.lookup->after_s, -60);
  EXPECT_EQ(r.lookup->dimensions, (std::vector<std::string>{"user", "system"}));
  EXPECT_EQ(r.every, seconds(10));
  ASSERT_TRUE(r.warn.has_value());
  EXPECT_EQ(r.warn->source(), "$this > (($status >= $WARNING) ? 75 : 85)");
  ASSERT_TRUE(r.crit.has_value());
  EXPECT_EQ(r.delay.down, seconds(300));
  EXPECT_EQ(r.delay.multiplier, 1.5);
  EXPECT_EQ(r.delay.max, seconds(3600));
  EXPECT_EQ(r.to, "sysadmin");
  EXPECT_EQ(r.source, "health.d/cpu.yaml:2");
  EXPECT_TRUE(r.applies_to("web-1", "guid", "system.cpu", "system.cpu", "system.cpu"));
  EXPECT_FALSE(r.applies_to("web-1", "guid", "system.load", "system.load", "system.load"));
}

TEST(RuleLoader, QuotingKeepsLinesAndLeavesQuotedValues) {
  EXPECT_EQ(quote_expressions("  warn: $a ? 1 : 2\n  crit: '$b : c'\n  info: a: b\n"),
            "  warn: '$a ? 1 : 2'\n  crit: '$b : c'\n  info: a: b\n");
  EXPECT_EQ(quote_expressions("- calc: $x == 'y' ? 1 : 0"), "- calc: '$x == ''y'' ? 1 : 0'");
}

TEST(RuleLoader, AMalformedRuleNamesFileLineAndProblemAndOthersStillLoad) {
  const RuleSet set = parse_rules(R"(alarms:
  - name: good_one
    on: system.load
    calc: $load1
    warn: $this > 4
  - name: bad_expression
    on: system.cpu
    lookup: average -1m
    warn: $this > (1 +
  - name: bad_key
    on: system.cpu
    lookup: average -1m
    wran: $this > 1
  - name: bad_lookup
    on: system.cpu
    lookup: median -1m
  - name: no_source
    on: system.cpu
  - name: bad_delay
    on: system.cpu
    calc: 1
    delay: {up: forever}
  - name: also_good
    on: disk_space.used
    lookup: max -10m at -1m abs of used|reserved
    crit: $this > 90
)",
                                  "h.yaml");
  ASSERT_EQ(set.rules.size(), 2u);
  EXPECT_EQ(set.rules[0]->name, "good_one");
  EXPECT_EQ(set.rules[1]->name, "also_good");
  EXPECT_EQ(set.rules[1]->lookup->before_s, -60);
  EXPECT_TRUE(set.rules[1]->lookup->absolute);
  EXPECT_EQ(set.rules[1]->lookup->dimensions, (std::vector<std::string>{"used", "reserved"}));
  ASSERT_EQ(set.errors.size(), 5u);
  EXPECT_EQ(set.errors[0].rfind("h.yaml:9: 'warn': expression '$this > (1 +'", 0), 0u)
      << set.errors[0];
  EXPECT_EQ(set.errors[1].rfind("h.yaml:13: unknown key 'wran'", 0), 0u) << set.errors[1];
  EXPECT_NE(set.errors[1].find("valid keys: name, on,"), std::string::npos) << set.errors[1];
  EXPECT_EQ(set.errors[2].rfind("h.yaml:16: 'lookup': lookup 'median -1m': unknown method", 0), 0u)
      << set.errors[2];
  EXPECT_EQ(set.errors[3], "h.yaml:17: rule 'no_source' needs a 'lookup' or a 'calc'");
  EXPECT_EQ(set.errors[4].rfind("h.yaml:22:", 0), 0u) << set.errors[4];
}

TEST(RuleLoader, BrokenYamlIsOneErrorForTheFile) {
  const RuleSet set = parse_rules("alarms: [\n", "broken.yaml");
  EXPECT_TRUE(set.rules.empty());
  ASSERT_EQ(set.errors.size(), 1u);
  EXPECT_EQ(set.errors[0].rfind("broken.yaml:", 0), 0u) << set.errors[0];
  EXPECT_EQ(parse_rules("alerts: []\n", "x.yaml").errors.front(),
            "x.yaml:1: unknown key 'alerts' at the top level; valid keys: alarms");
}

TEST(RuleLoader, LookupSyntax) {
  EXPECT_EQ(parse_lookup("sum -30s")->after_s, -30);
  EXPECT_EQ(parse_lookup("incremental-sum -1h")->method, LookupMethod::incremental_sum);
  EXPECT_EQ(parse_lookup("min -60 unaligned of a, b")->dimensions,
            (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(parse_lookup("average").ok());
  EXPECT_FALSE(parse_lookup("average 1m").ok());  // must be negative
  EXPECT_FALSE(parse_lookup("average -1m of").ok());
  EXPECT_FALSE(parse_lookup("average -1m at -2m").ok());  // ends before it starts
  EXPECT_FALSE(parse_lookup("average -1m sideways").ok());
}

TEST(RuleLoader, LoadsEveryYamlFileInNameOrder) {
  const auto dir = std::filesystem::temp_directory_path() / "trib_health_rules_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "b.yaml") << "alarms:\n  - {name: second, on: x, calc: 1}\n";
  std::ofstream(dir / "a.yaml") << "alarms:\n  - {name: first, on: x, calc: 1}\n";
  std::ofstream(dir / "c.yaml.disabled") << "alarms: [\n";
  const RuleSet set = load_rules(dir.string());
  EXPECT_TRUE(set.errors.empty());
  ASSERT_EQ(set.rules.size(), 2u);
  EXPECT_EQ(set.rules[0]->name, "first");
  EXPECT_TRUE(load_rules((dir / "missing").string()).rules.empty());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace trib::parent::health
