#pragma once
// Telegraf configuration templates: `&{name}` and `&{name:default}` parameters filled from a
// request's query string (Telegraf-Controller syntax), and TOML validation with toml++.
// Pure functions: no I/O, no thread.
//
// Grammar: a name is [A-Za-z_][A-Za-z0-9_]*, at most 128 characters; the default is
// everything after the first ':' up to the closing '}' (so "https://localhost:8181" works) and
// cannot hold '}'; `&{x:}` is optional with an empty default. Text that does not follow the
// grammar is left as it is, and so are Telegraf's own `${ENV}` and `@{store:key}`.
// Substitution is one left-to-right pass: inserted values are never scanned again.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/base/result.h"

namespace trib::parent::fleet {

struct TemplateParameter {
  std::string name;
  std::optional<std::string> default_value;  // nullopt: required
  bool operator==(const TemplateParameter&) const = default;
};

// Every parameter, once, in order of first appearance, with the first default seen; a name
// used anywhere without a default is required (render_template reports it missing).
std::vector<TemplateParameter> template_parameters(std::string_view text);

struct RenderedTemplate {
  std::string text;
  std::vector<std::string> missing;  // required parameters `lookup` had no value for, once each
};

// Replaces each parameter with lookup(name), else its default; a required parameter without
// a value is listed in `missing` (and left in the text).
RenderedTemplate render_template(
    std::string_view text,
    const std::function<std::optional<std::string>(std::string_view)>& lookup);

// Parses `text` as TOML after replacing each parameter by its default, or by a placeholder
// (`0`, valid as a string's content, a number and a bare key) when it has none.
// Errc::parse_error: "line 3, column 7: <what toml++ says>".
Status validate_template(std::string_view text);

}  // namespace trib::parent::fleet
