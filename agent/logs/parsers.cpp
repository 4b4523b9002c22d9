#include "agent/logs/parsers.h"

#include <nlohmann/json.hpp>

#include <array>
#include <cctype>

namespace trib::agent::logs {
namespace {

constexpr size_t kMaxAttributes = 256;

bool is_space(char c) { return c == ' ' || c == '\t'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Reads up to the next space; advances past it.
std::string_view next_token(std::string_view& rest) {
  const size_t end = std::min(rest.find(' '), rest.size());
  const std::string_view token = rest.substr(0, end);
  rest.remove_prefix(std::min(rest.size(), end + 1));
  return token;
}

constexpr std::array<std::string_view, 8> kSeverities{"emerg",   "alert",  "crit", "err",
                                                      "warning", "notice", "info", "debug"};

// "<PRI>": facility and severity.
bool read_priority(std::string_view& rest, Attributes& out) {
  if (rest.size() < 3 || rest.front() != '<') return false;
  const size_t close = rest.find('>');
  if (close == std::string_view::npos || close < 2 || close > 4) return false;
  int pri = 0;
  for (size_t i = 1; i < close; ++i) {
    if (!is_digit(rest[i])) return false;
    pri = pri * 10 + (rest[i] - '0');
  }
  if (pri > 191) return false;
  out.emplace_back("facility", std::to_string(pri / 8));
  out.emplace_back("severity", std::string(kSeverities[static_cast<size_t>(pri % 8)]));
  rest.remove_prefix(close + 1);
  return true;
}

void add_unless_nil(Attributes& out, std::string name, std::string_view value) {
  if (!value.empty() && value != "-") out.emplace_back(std::move(name), std::string(value));
}

// RFC 5424 after the PRI: VERSION SP TIMESTAMP SP HOST SP APP SP PROCID SP MSGID SP SD [SP MSG].
bool read_rfc5424(std::string_view rest, Attributes& out) {
  if (rest.size() < 2 || rest[0] != '1' || rest[1] != ' ') return false;
  rest.remove_prefix(2);
  add_unless_nil(out, "timestamp", next_token(rest));
  add_unless_nil(out, "host", next_token(rest));
  add_unless_nil(out, "app", next_token(rest));
  add_unless_nil(out, "pid", next_token(rest));
  add_unless_nil(out, "msgid", next_token(rest));
  // Structured data: "-" or one or more [..] elements (']' inside values is escaped as "\]").
  if (!rest.empty() && rest.front() == '[') {
    size_t i = 0;
    while (i < rest.size() && rest[i] == '[') {
      for (++i; i < rest.size() && rest[i] != ']'; ++i) {
        if (rest[i] == '\\') ++i;
      }
      if (i >= rest.size()) return false;
      ++i;
    }
    add_unless_nil(out, "structured_data", rest.substr(0, i));
    rest.remove_prefix(i);
    if (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  } else {
    next_token(rest);
  }
  if (!rest.empty()) out.emplace_back("message", std::string(rest));
  return true;
}

// RFC 3164 after the PRI: "Mmm dd hh:mm:ss HOST TAG[PID]: MSG".
bool read_rfc3164(std::string_view rest, Attributes& out) {
  if (rest.size() < 16 || rest[3] != ' ' || rest[6] != ' ' || rest[9] != ':' || rest[12] != ':' ||
      rest[15] != ' ') {
    return false;
  }
  out.emplace_back("timestamp", std::string(rest.substr(0, 15)));
  rest.remove_prefix(16);
  add_unless_nil(out, "host", next_token(rest));
  const size_t colon = rest.find(':');
  if (colon != std::string_view::npos && colon < 64) {
    std::string_view tag = rest.substr(0, colon);
    const size_t bracket = tag.find('[');
    if (bracket != std::string_view::npos && tag.back() == ']') {
      add_unless_nil(out, "pid", tag.substr(bracket + 1, tag.size() - bracket - 2));
      tag = tag.substr(0, bracket);
    }
    add_unless_nil(out, "app", tag);
    rest.remove_prefix(colon + 1);
    if (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  }
  if (!rest.empty()) out.emplace_back("message", std::string(rest));
  return true;
}

}  // namespace

bool parse_parser_kind(std::string_view name, ParserKind& out) {
  if (name == "none")
    out = ParserKind::none;
  else if (name == "json")
    out = ParserKind::json;
  else if (name == "logfmt")
    out = ParserKind::logfmt;
  else if (name == "syslog")
    out = ParserKind::syslog;
  else
    return false;
  return true;
}

bool parse_json_line(std::string_view line, Attributes& out) {
  // Depth is bounded by nlohmann's recursion only; cap it cheaply before parsing.
  size_t depth = 0;
  for (const char c : line) {
    if (c == '{' || c == '[') {
      if (++depth > 64) return false;
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  const auto json = nlohmann::ordered_json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) return false;
  for (const auto& [key, value] : json.items()) {
    if (out.size() >= kMaxAttributes) break;
    out.emplace_back(
        key, value.is_string()
                 ? value.get<std::string>()
                 : value.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
  }
  return true;
}

bool parse_logfmt_line(std::string_view line, Attributes& out) {
  const size_t before = out.size();
  size_t i = 0;
  while (i < line.size() && out.size() - before < kMaxAttributes) {
    while (i < line.size() && is_space(line[i])) ++i;
    const size_t key_start = i;
    while (i < line.size() && !is_space(line[i]) && line[i] != '=' && line[i] != '"') ++i;
    if (i == key_start) {
      if (i < line.size()) return false;  // a quote or '=' where a key should be
      break;
    }
    std::string key(line.substr(key_start, i - key_start));
    std::string value;
    if (i < line.size() && line[i] == '=') {
      ++i;
      if (i < line.size() && line[i] == '"') {
        ++i;
        bool closed = false;
        while (i < line.size()) {
          const char c = line[i++];
          if (c == '\\' && i < line.size()) {
            value.push_back(line[i++]);
          } else if (c == '"') {
            closed = true;
            break;
          } else {
            value.push_back(c);
          }
        }
        if (!closed) return false;
      } else {
        const size_t value_start = i;
        while (i < line.size() && !is_space(line[i])) ++i;
        value = std::string(line.substr(value_start, i - value_start));
      }
    } else if (i < line.size() && !is_space(line[i])) {
      return false;
    }
    out.emplace_back(std::move(key), std::move(value));
  }
  return out.size() > before;
}

bool parse_syslog_line(std::string_view line, Attributes& out) {
  const size_t before = out.size();
  std::string_view rest = line;
  if (!read_priority(rest, out)) return false;
  const size_t with_priority = out.size();
  if (read_rfc5424(rest, out)) return true;
  out.resize(with_priority);
  if (read_rfc3164(rest, out)) return true;
  out.resize(before);
  return false;
}

bool parse_line(ParserKind kind, std::string_view line, Attributes& out) {
  switch (kind) {
    case ParserKind::none:
      return true;
    case ParserKind::json:
      return parse_json_line(line, out);
    case ParserKind::logfmt:
      return parse_logfmt_line(line, out);
    case ParserKind::syslog:
      return parse_syslog_line(line, out);
  }
  return false;
}

}  // namespace trib::agent::logs
