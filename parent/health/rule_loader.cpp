#include "parent/health/rule_loader.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/config/schema.h"
#include "common/config/yaml.h"

namespace trib::parent::health {

namespace {

using std::chrono::seconds;
using namespace std::chrono_literals;

// The YAML shape of a rule, before its expressions and lookup are parsed.
struct DelayYaml {
  seconds up{0};
  seconds down{0};
  double multiplier = 1.0;
  seconds max{0};
};

struct RepeatYaml {
  seconds warning{0};
  seconds critical{0};
};

struct RuleYaml {
  std::string name;
  std::string on;
  std::string hosts = "*";
  std::string charts = "*";
  std::string lookup;
  std::string calc;
  seconds every{10};
  std::string warn;
  std::string crit;
  DelayYaml delay;
  RepeatYaml repeat;
  std::string units;
  std::string info;
  std::string to;
};

const config::Schema<RuleYaml>& rule_schema() {
  static const config::Schema<RuleYaml> schema = [] {
    config::Schema<DelayYaml> delay;
    delay.duration("up", &DelayYaml::up, 0s, 24h, "Delay of a rise's notification.")
        .duration("down", &DelayYaml::down, 0s, 24h, "Delay of a fall's notification.")
        .real("multiplier", &DelayYaml::multiplier, 1, 100,
              "Delays grow by this at each change within the previous delay.")
        .duration("max", &DelayYaml::max, 0s, 7 * 24h, "Cap of grown delays (0: max(up, down)).");
    config::Schema<RepeatYaml> repeat;
    repeat.duration("warning", &RepeatYaml::warning, 0s, 7 * 24h, "Re-notify WARNING (0: off).")
        .duration("critical", &RepeatYaml::critical, 0s, 7 * 24h, "Re-notify CRITICAL (0: off).");
    config::Schema<RuleYaml> rule;
    rule.text("name", &RuleYaml::name, "Alarm name.")
        .text("on", &RuleYaml::on, "Chart id or context.")
        .text("hosts", &RuleYaml::hosts, "Simple pattern of hostnames.")
        .text("charts", &RuleYaml::charts, "Simple pattern of chart ids.")
        .text("lookup", &RuleYaml::lookup, "METHOD AFTER [of DIMENSIONS].")
        .text("calc", &RuleYaml::calc, "Expression computing $this.")
        .duration("every", &RuleYaml::every, 1s, 24h, "Evaluation interval.")
        .text("warn", &RuleYaml::warn, "WARNING when true.")
        .text("crit", &RuleYaml::crit, "CRITICAL when true.")
        .object("delay", &RuleYaml::delay, delay, "Notification delays.")
        .object("repeat", &RuleYaml::repeat, repeat, "Repeated notifications.")
        .text("units", &RuleYaml::units, "Units of the value.")
        .text("info", &RuleYaml::info, "Description.")
        .text("to", &RuleYaml::to, "Recipient role.");
    return rule;
  }();
  return schema;
}

bool valid_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '.' || c == '-';
  });
}

// The line of `key` in the rule's mapping, else the rule's own.
std::string where(const config::Node& item, std::string_view key) {
  for (const auto& entry : item.entries) {
    if (entry.key == key) return entry.value.origin.describe();
  }
  return item.origin.describe();
}

Result<std::optional<Expression>> optional_expression(const config::Node& item,
                                                      std::string_view key,
                                                      const std::string& text) {
  if (text.empty()) return std::optional<Expression>();
  auto parsed = Expression::parse(text);
  if (!parsed.ok()) {
    return Error(Errc::config_error,
                 fmt::format("{}: '{}': {}", where(item, key), key, parsed.error().message));
  }
  return std::optional<Expression>(std::move(parsed).value());
}

Result<std::shared_ptr<const Rule>> parse_rule(const config::Node& item) {
  RuleYaml yaml;
  TRIB_TRY(rule_schema().parse(item, yaml, {"alarms[]"}));
  auto rule = std::make_shared<Rule>();
  if (!valid_name(yaml.name)) {
    return Error(Errc::config_error,
                 fmt::format("{}: 'name' '{}' must be letters, digits, '_', '.' or '-'",
                             where(item, "name"), yaml.name));
  }
  if (yaml.on.empty()) {
    return Error(Errc::config_error,
                 fmt::format("{}: rule '{}' has no 'on' (a chart id or context)",
                             item.origin.describe(), yaml.name));
  }
  if (yaml.lookup.empty() && yaml.calc.empty()) {
    return Error(Errc::config_error, fmt::format("{}: rule '{}' needs a 'lookup' or a 'calc'",
                                                 item.origin.describe(), yaml.name));
  }
  rule->name = yaml.name;
  rule->on = yaml.on;
  rule->hosts = config::SimplePattern(yaml.hosts);
  rule->charts = config::SimplePattern(yaml.charts);
  if (!yaml.lookup.empty()) {
    auto lookup = parse_lookup(yaml.lookup);
    if (!lookup.ok()) {
      return Error(Errc::config_error,
                   fmt::format("{}: 'lookup': {}", where(item, "lookup"), lookup.error().message));
    }
    rule->lookup = std::move(lookup).value();
  }
  TRIB_ASSIGN_OR_RETURN(rule->calc, optional_expression(item, "calc", yaml.calc));
  TRIB_ASSIGN_OR_RETURN(rule->warn, optional_expression(item, "warn", yaml.warn));
  TRIB_ASSIGN_OR_RETURN(rule->crit, optional_expression(item, "crit", yaml.crit));
  rule->every = yaml.every;
  rule->delay = DelayOptions{yaml.delay.up, yaml.delay.down, yaml.delay.multiplier, yaml.delay.max};
  rule->repeat = RepeatOptions{yaml.repeat.warning, yaml.repeat.critical};
  rule->units = yaml.units;
  rule->info = yaml.info;
  rule->to = yaml.to;
  rule->source = item.origin.describe();
  return std::shared_ptr<const Rule>(std::move(rule));
}

bool is_expression_key(std::string_view key) {
  return key == "calc" || key == "warn" || key == "crit";
}

}  // namespace

std::string quote_expressions(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 64);
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    // [indent][- ]key: value
    size_t i = 0;
    while (i < line.size() && line[i] == ' ') ++i;
    if (line.substr(i, 2) == "- ") i += 2;
    while (i < line.size() && line[i] == ' ') ++i;
    const size_t colon = line.find(": ", i);
    bool quoted = false;
    if (colon != std::string_view::npos && is_expression_key(line.substr(i, colon - i))) {
      size_t v = colon + 2;
      while (v < line.size() && line[v] == ' ') ++v;
      const std::string_view value = line.substr(v);
      const bool plain = !value.empty() && std::string_view("'\"{[|>&*!%@`#").find(value.front()) ==
                                               std::string_view::npos;
      if (plain && value.find(": ") != std::string_view::npos) {
        out.append(line.substr(0, v));
        out += '\'';
        for (const char c : value) {
          if (c == '\'') out += '\'';
          out += c;
        }
        out += '\'';
        quoted = true;
      }
    }
    if (!quoted) out.append(line);
    if (end == text.size()) break;
    out += '\n';
    start = end + 1;
  }
  return out;
}

RuleSet parse_rules(std::string_view text, const std::string& source) {
  RuleSet set;
  auto parsed = config::parse_yaml(quote_expressions(text), source);
  if (!parsed.ok()) {
    set.errors.push_back(parsed.error().message);
    return set;
  }
  const config::Node& root = *parsed;
  if (root.is_null()) return set;
  if (!root.is_mapping()) {
    set.errors.push_back(
        fmt::format("{}: expected a mapping with 'alarms:'", root.origin.describe()));
    return set;
  }
  for (const auto& entry : root.entries) {
    if (entry.key != "alarms") {
      set.errors.push_back(fmt::format("{}: unknown key '{}' at the top level; valid keys: alarms",
                                       entry.key_origin.describe(), entry.key));
    }
  }
  const config::Node* alarms = root.find("alarms");
  if (alarms == nullptr || alarms->is_null()) return set;
  if (!alarms->is_sequence()) {
    set.errors.push_back(
        fmt::format("{}: 'alarms' must be a list of rules", alarms->origin.describe()));
    return set;
  }
  for (const config::Node& item : alarms->items) {
    auto rule = parse_rule(item);
    if (rule.ok()) {
      set.rules.push_back(std::move(rule).value());
    } else {
      set.errors.push_back(rule.error().message);
    }
  }
  return set;
}

RuleSet load_rules(const std::string& dir) {
  RuleSet all;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return all;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".yaml" && entry.is_regular_file(ec)) {
      files.push_back(entry.path());
    }
  }
  if (ec) all.errors.push_back(fmt::format("{}: {}", dir, ec.message()));
  std::sort(files.begin(), files.end());
  for (const auto& path : files) {
    std::ifstream in(path, std::ios::binary);
    if (!in.is_open()) {
      all.errors.push_back(fmt::format("{}: cannot be read", path.string()));
      continue;
    }
    std::stringstream buffer;
    buffer << in.rdbuf();
    RuleSet one = parse_rules(buffer.str(), path.string());
    for (auto& rule : one.rules) all.rules.push_back(std::move(rule));
    for (auto& error : one.errors) all.errors.push_back(std::move(error));
  }
  return all;
}

}  // namespace trib::parent::health
