#include "common/config/schema.h"

#include <gtest/gtest.h>

namespace trib::config {
namespace {

using namespace std::chrono_literals;

struct Logs {
  std::chrono::seconds scan_interval{30};
  std::vector<std::string> paths;
  uint64_t max_line = 64 * 1024;
};

struct Item {
  std::string name;
  uint32_t weight = 1;
};

struct Top {
  std::string log_level = "info";
  bool enabled = true;
  uint16_t port = 19999;
  std::chrono::milliseconds tick{500};
  Logs logs;
  std::vector<Item> items;
  std::map<std::string, Item> named;
};

Schema<Item> item_schema() {
  Schema<Item> s;
  s.text("name", &Item::name, "The item's name.")
      .integer("weight", &Item::weight, 1, 10, "How heavy.");
  return s;
}

Schema<Item> named_item_schema() {
  Schema<Item> s = item_schema();
  s.check([](const Item& item, const Node& node, const Path& path) -> Status {
    if (!item.name.empty()) return ok_status();
    return detail::value_error(node, path, "'name' is required");
  });
  return s;
}

Schema<Top> top_schema() {
  Schema<Logs> logs;
  logs.duration("scan_interval", &Logs::scan_interval, 1s, 1h, "How often globs are re-scanned.")
      .text_list("paths", &Logs::paths, "Files to tail.")
      .size("max_line", &Logs::max_line, 1024, 1 << 20, "Longest line kept.", Reload::restart);
  Schema<Top> s;
  s.choice("log_level", &Top::log_level, {"debug", "info", "warn"}, "Minimum level logged.")
      .flag("enabled", &Top::enabled, "Master switch.")
      .integer("port", &Top::port, 1, 65535, "Listen port.", Reload::restart)
      .duration("tick", &Top::tick, 100ms, 10s, "Tick.")
      .object("logs", &Top::logs, logs, "Log tailing.")
      .object_list("items", &Top::items, named_item_schema(), "Items.", "items:\n  - name: a\n")
      .object_map("named", &Top::named, item_schema(), {"alpha", "beta"}, "Named items.",
                  "named:\n  alpha:\n    weight: 2\n");
  return s;
}

Result<Top> parse_text(std::string_view text) {
  auto node = parse_yaml(text, "t.yaml");
  if (!node.ok()) return node.take_error();
  return top_schema().parse(*node);
}

std::string error_of(std::string_view text) {
  auto r = parse_text(text);
  EXPECT_FALSE(r.ok()) << "parsed: " << text;
  return r.ok() ? "" : r.error().message;
}

TEST(Schema, NullDocumentGivesDefaultsAndFillsKnownMapEntries) {
  auto r = parse_text("# nothing\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->log_level, "info");
  EXPECT_EQ(r->logs.scan_interval, 30s);
  EXPECT_TRUE(r->items.empty());
  ASSERT_EQ(r->named.size(), 2u);
  EXPECT_EQ(r->named.at("alpha").weight, 1u);
}

TEST(Schema, ParsesEveryKind) {
  auto r = parse_text(R"(
log_level: debug
enabled: no
port: 8080
tick: 250ms
logs:
  scan_interval: 5m
  paths: [/var/log/a, "/var/log/b c"]
  max_line: 256KiB
items:
  - name: x
    weight: 3
named:
  beta: {name: b, weight: 7}
)");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->log_level, "debug");
  EXPECT_FALSE(r->enabled);
  EXPECT_EQ(r->port, 8080);
  EXPECT_EQ(r->tick, 250ms);
  EXPECT_EQ(r->logs.scan_interval, 5min);
  EXPECT_EQ(r->logs.paths, (std::vector<std::string>{"/var/log/a", "/var/log/b c"}));
  EXPECT_EQ(r->logs.max_line, 256u * 1024);
  ASSERT_EQ(r->items.size(), 1u);
  EXPECT_EQ(r->items[0].weight, 3u);
  EXPECT_EQ(r->named.at("beta").weight, 7u);
  EXPECT_EQ(r->named.at("alpha").weight, 1u);  // known names absent from the file: defaults
}

TEST(Schema, UnknownKeysListTheValidOnes) {
  EXPECT_EQ(error_of("logs:\n  scan_interval: 1m\n  foo: 1\n"),
            "t.yaml:3: unknown key 'foo' in 'logs'; valid keys: scan_interval, paths, max_line");
  EXPECT_EQ(error_of("bogus: 1\n"),
            "t.yaml:1: unknown key 'bogus' at the top level; valid keys: log_level, enabled, "
            "port, tick, logs, items, named");
  EXPECT_EQ(error_of("named:\n  gamma: {}\n"),
            "t.yaml:2: unknown key 'gamma' in 'named'; valid keys: alpha, beta");
}

TEST(Schema, TypeAndBoundErrorsNameLineAndPath) {
  EXPECT_EQ(error_of("port: 70000\n"), "t.yaml:1: 'port': 70000 is out of range; valid: 1..65535");
  EXPECT_EQ(error_of("port: eighty\n"), "t.yaml:1: 'port': 'eighty' is not an integer");
  EXPECT_EQ(error_of("\nenabled: maybe\n"),
            "t.yaml:2: 'enabled': 'maybe' is not a boolean; use true or false");
  EXPECT_EQ(error_of("log_level: loud\n"),
            "t.yaml:1: 'log_level': 'loud' is not valid; valid values: debug, info, warn");
  EXPECT_EQ(error_of("logs:\n  scan_interval: 2h\n"),
            "t.yaml:2: 'logs.scan_interval': 2h is out of range; valid: 1s..1h");
  EXPECT_EQ(error_of("logs:\n  scan_interval: 1500ms\n"),
            "t.yaml:2: 'logs.scan_interval': 1500ms is not a whole multiple of 1s");
  EXPECT_NE(error_of("logs:\n  max_line: 1Q\n").find("t.yaml:2: 'logs.max_line': '1Q'"),
            std::string::npos);
  EXPECT_EQ(error_of("logs: 5\n"),
            "t.yaml:1: 'logs': expected a mapping (key: value lines), found a single value");
  EXPECT_EQ(error_of("port: [1]\n"), "t.yaml:1: 'port': expected a single value, found a list");
  EXPECT_EQ(error_of("items:\n  - name: a\n  - weight: 2\n"),
            "t.yaml:3: 'items.1': 'name' is required");
  EXPECT_EQ(error_of("items:\n  - name: a\n    weight: 11\n"),
            "t.yaml:3: 'items.0.weight': 11 is out of range; valid: 1..10");
  EXPECT_EQ(error_of("- a\n"),
            "t.yaml:1: expected a mapping of options (key: value), found a list");
}

TEST(Schema, EnvironmentNamesAndOverlay) {
  const auto options = top_schema().env_options();
  std::vector<std::string> names;
  for (const auto& o : options) names.push_back(o.variable);
  EXPECT_EQ(names,
            (std::vector<std::string>{"TRIBUTARY_LOG_LEVEL", "TRIBUTARY_ENABLED", "TRIBUTARY_PORT",
                                      "TRIBUTARY_TICK", "TRIBUTARY_LOGS_SCAN_INTERVAL",
                                      "TRIBUTARY_LOGS_PATHS", "TRIBUTARY_LOGS_MAX_LINE",
                                      "TRIBUTARY_NAMED_ALPHA_NAME", "TRIBUTARY_NAMED_ALPHA_WEIGHT",
                                      "TRIBUTARY_NAMED_BETA_NAME", "TRIBUTARY_NAMED_BETA_WEIGHT"}));

  std::map<std::string, std::string> env{{"TRIBUTARY_LOGS_SCAN_INTERVAL", "10s"},
                                         {"TRIBUTARY_LOGS_PATHS", "/a, /b"},
                                         {"TRIBUTARY_PORT", "x"},
                                         {"UNRELATED", "1"}};
  auto lookup = [&](const std::string& name) -> const std::string* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : &it->second;
  };
  Node tree = *parse_yaml("logs:\n  scan_interval: 1m\nport: 1\n", "t.yaml");
  env.erase("TRIBUTARY_PORT");
  merge_into(tree, environment_overlay(options, lookup));
  auto r = top_schema().parse(tree);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->logs.scan_interval, 10s);
  EXPECT_EQ(r->logs.paths, (std::vector<std::string>{"/a", "/b"}));
  EXPECT_EQ(r->port, 1);

  env["TRIBUTARY_PORT"] = "x";
  Node bad;
  merge_into(bad, environment_overlay(options, lookup));
  auto e = top_schema().parse(bad);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().message,
            "environment variable TRIBUTARY_PORT: 'port': 'x' is not an integer");
}

TEST(Schema, DiffReportsChangedOptionsWithReloadClass) {
  const auto schema = top_schema();
  Top a;
  Top b;
  EXPECT_TRUE(schema.diff(a, b).empty());
  b.port = 1;
  b.logs.scan_interval = 1s;
  b.items.push_back(Item{"x", 1});
  b.logs.max_line = 2048;
  EXPECT_EQ(schema.diff(a, b), (std::vector<Change>{{"port", Reload::restart},
                                                    {"logs.scan_interval", Reload::live},
                                                    {"logs.max_line", Reload::restart},
                                                    {"items", Reload::live}}));
  Top c;
  c.named["alpha"].weight = 5;
  EXPECT_EQ(schema.diff(a, c), (std::vector<Change>{{"named", Reload::live}}));
}

TEST(Schema, SampleParsesBackToDefaults) {
  const auto schema = top_schema();
  const std::string sample = schema.sample();
  EXPECT_NE(sample.find("# Listen port. (1..65535) Changing it needs a restart.\nport: 19999\n"),
            std::string::npos)
      << sample;
  EXPECT_NE(
      sample.find("logs:\n  # How often globs are re-scanned. (1s..1h)\n  scan_interval: 30s\n"),
      std::string::npos)
      << sample;
  EXPECT_NE(sample.find("#   named:\n#     alpha:\n#       weight: 2\nnamed: {}\n"),
            std::string::npos)
      << sample;
  auto node = parse_yaml(sample, "sample.yaml");
  ASSERT_TRUE(node.ok()) << node.error().message;
  auto parsed = schema.parse(*node);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  Top defaults;
  ASSERT_TRUE(schema.parse(Node{}, defaults).ok());
  EXPECT_TRUE(schema.diff(*parsed, defaults).empty());
}

TEST(Schema, YamlQuoteKeepsStringsIntact) {
  for (const char* s : {"", "yes", "a: b", "#x", "plain", "/var/log/x", "12", "with \"q\"", "~"}) {
    auto node = parse_yaml(std::string("k: ") + detail::yaml_quote(s) + "\n", "q.yaml");
    ASSERT_TRUE(node.ok()) << s;
    ASSERT_TRUE(node->find("k")->is_scalar()) << s;
    EXPECT_EQ(node->find("k")->scalar, s);
  }
}

}  // namespace
}  // namespace trib::config
