#include "parent/fleet/toml_template.h"

#include <fmt/format.h>

#include <toml++/toml.h>
#include <algorithm>
#include <sstream>

namespace trib::parent::fleet {
namespace {

constexpr size_t kMaxNameLength = 128;

bool name_start(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool name_char(char c) { return name_start(c) || (c >= '0' && c <= '9'); }

struct Occurrence {
  size_t begin = 0;  // at '&'
  size_t end = 0;    // one past '}'
  TemplateParameter parameter;
};

// The parameter starting at `at` (text[at] == '&'), if the grammar matches there.
std::optional<Occurrence> parameter_at(std::string_view text, size_t at) {
  if (text.substr(at, 2) != "&{") return std::nullopt;
  size_t i = at + 2;
  if (i >= text.size() || !name_start(text[i])) return std::nullopt;
  const size_t name_begin = i;
  while (i < text.size() && name_char(text[i])) ++i;
  const size_t name_length = i - name_begin;
  if (name_length > kMaxNameLength || i >= text.size()) return std::nullopt;
  Occurrence found;
  found.begin = at;
  found.parameter.name = std::string(text.substr(name_begin, name_length));
  if (text[i] == '}') {
    found.end = i + 1;
    return found;
  }
  if (text[i] != ':') return std::nullopt;
  const size_t close = text.find('}', i + 1);
  if (close == std::string_view::npos) return std::nullopt;
  found.parameter.default_value = std::string(text.substr(i + 1, close - i - 1));
  found.end = close + 1;
  return found;
}

// Calls `visit` for every parameter occurrence, and `literal` for the text between them.
void scan(std::string_view text, const std::function<void(std::string_view)>& literal,
          const std::function<void(const Occurrence&)>& visit) {
  size_t copied = 0;
  size_t at = text.find("&{");
  while (at != std::string_view::npos) {
    if (auto occurrence = parameter_at(text, at)) {
      literal(text.substr(copied, at - copied));
      visit(*occurrence);
      copied = occurrence->end;
      at = text.find("&{", copied);
    } else {
      at = text.find("&{", at + 1);
    }
  }
  literal(text.substr(copied));
}

}  // namespace

std::vector<TemplateParameter> template_parameters(std::string_view text) {
  std::vector<TemplateParameter> found;
  scan(
      text, [](std::string_view) {},
      [&](const Occurrence& o) {
        const auto seen = std::find_if(found.begin(), found.end(),
                                       [&](const auto& p) { return p.name == o.parameter.name; });
        if (seen == found.end()) {
          found.push_back(o.parameter);
        } else if (!o.parameter.default_value) {
          seen->default_value.reset();  // one use without a default makes it required
        }
      });
  return found;
}

RenderedTemplate render_template(
    std::string_view text,
    const std::function<std::optional<std::string>(std::string_view)>& lookup) {
  RenderedTemplate rendered;
  rendered.text.reserve(text.size());
  scan(
      text, [&](std::string_view literal) { rendered.text += literal; },
      [&](const Occurrence& o) {
        if (auto value = lookup(o.parameter.name)) {
          rendered.text += *value;
        } else if (o.parameter.default_value) {
          rendered.text += *o.parameter.default_value;
        } else {
          rendered.text += text.substr(o.begin, o.end - o.begin);
          if (std::find(rendered.missing.begin(), rendered.missing.end(), o.parameter.name) ==
              rendered.missing.end()) {
            rendered.missing.push_back(o.parameter.name);
          }
        }
      });
  return rendered;
}

Status validate_template(std::string_view text) {
  const RenderedTemplate placeholder =
      render_template(text, [](std::string_view) { return std::optional<std::string>(); });
  RenderedTemplate filled = render_template(text, [&](std::string_view name) {
    const bool required = std::any_of(placeholder.missing.begin(), placeholder.missing.end(),
                                      [&](const auto& m) { return m == name; });
    return required ? std::optional<std::string>("0") : std::nullopt;
  });
  // toml++ reports errors by exception; this is the boundary where they become an Error.
  try {
    (void)toml::parse(std::string_view(filled.text));
  } catch (const toml::parse_error& error) {
    const auto& begin = error.source().begin;
    return Error(Errc::parse_error, fmt::format("line {}, column {}: {}", begin.line, begin.column,
                                                error.description()));
  }
  return ok_status();
}

}  // namespace trib::parent::fleet
