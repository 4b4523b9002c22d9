#pragma once
// One alarm rule from health.d/*.yaml, validated: which charts of which hosts it applies to,
// how it reads their data (lookup), the expressions it evaluates and how it notifies.
// Immutable after loading; shared (shared_ptr) by every instance created from it, so a reload
// can swap the rule set while instances of the old one finish their evaluation.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/base/result.h"
#include "common/config/simple_pattern.h"
#include "parent/health/alarm.h"
#include "parent/health/expression.h"

namespace trib::parent::health {

enum class LookupMethod : uint8_t { average, min, max, sum, incremental_sum };
std::string_view to_string(LookupMethod method);

// `lookup: METHOD AFTER [at BEFORE] [unaligned] [abs|absolute] [of DIMENSIONS]`, Netdata's
// syntax: `average -1m of user,system`. AFTER and BEFORE are negative durations relative to
// now (`-1m`, `-60s`, `-60`); DIMENSIONS are separated by `,` or `|` and match dimension ids or
// names (`*` wildcards). Without `of`, every dimension. The value is the sum over the selected
// dimensions of each one's METHOD over the window (Netdata's default).
struct Lookup {
  LookupMethod method = LookupMethod::average;
  int64_t after_s = -60;  // < 0
  int64_t before_s = 0;   // <= 0
  bool absolute = false;
  std::vector<std::string> dimensions;  // empty: all
  std::string text;                     // as written
};
Result<Lookup> parse_lookup(std::string_view text);

struct Rule {
  std::string name;
  std::string on;                // a chart id or a context
  config::SimplePattern hosts;   // hostnames (and GUIDs); empty text: every host
  config::SimplePattern charts;  // chart ids or names; empty text: every chart `on` matches
  std::optional<Lookup> lookup;
  std::optional<Expression> calc;
  std::optional<Expression> warn;
  std::optional<Expression> crit;
  std::chrono::seconds every{10};
  DelayOptions delay;
  RepeatOptions repeat;
  std::string units;
  std::string info;
  std::string to;      // a role of notifications.recipients
  std::string source;  // "/etc/tributary/health.d/cpu.yaml:3"

  // `on` names the chart's id or its context, and the filters let it through.
  bool applies_to(std::string_view hostname, std::string_view machine_guid,
                  std::string_view chart_id, std::string_view chart_name,
                  std::string_view context) const;
};

}  // namespace trib::parent::health
