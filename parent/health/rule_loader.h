#pragma once
// Reads alarm rules from `<config dir>/health.d/*.yaml` (file-name order). Each file is a mapping
// with one key, `alarms:`, a list of rules (docs/health.md). A rule that does not parse is
// reported with its file, line and problem and left out; the others still load. Pure functions
// over files; call them on the I/O loop at start and on SIGHUP.
//
// Expressions may be written unquoted even when they hold ` : ` (Netdata's
// `$this > (($status >= $WARNING) ? 75 : 85)`), which plain YAML reads as a nested mapping:
// before parsing, the values of calc, warn and crit that are not quoted are quoted (line
// numbers are kept).

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "parent/health/rule.h"

namespace trib::parent::health {

struct RuleSet {
  std::vector<std::shared_ptr<const Rule>> rules;
  std::vector<std::string> errors;  // "file:line: problem", one per rule or file left out
};

// One file's text; `source` names it in errors and in Rule::source.
RuleSet parse_rules(std::string_view text, const std::string& source);
// Every *.yaml under `dir` (a missing directory is an empty set).
RuleSet load_rules(const std::string& dir);

// The quoting described above, exposed for tests.
std::string quote_expressions(std::string_view text);

}  // namespace trib::parent::health
