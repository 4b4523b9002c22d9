#include "common/config/schema.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace trib::config {

std::string dotted(const Path& path) { return detail::join(path, "."); }

std::string env_variable_name(const Path& path) {
  std::string name = "TRIBUTARY";
  for (const std::string& part : path) {
    name += '_';
    for (const char c : part) {
      const auto u = static_cast<unsigned char>(c);
      name += std::isalnum(u) != 0 ? static_cast<char>(std::toupper(u)) : '_';
    }
  }
  return name;
}

void set_path(Node& root, const Path& path, std::string value, const Origin& origin) {
  Node* at = &root;
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    if (!at->is_mapping()) *at = Node::make_mapping(origin);
    Node* next = at->find(path[i]);
    if (next == nullptr) next = &at->set(path[i], Node::make_mapping(origin));
    at = next;
  }
  if (!at->is_mapping()) *at = Node::make_mapping(origin);
  at->set(path.back(), Node::make_scalar(std::move(value), origin));
}

Node environment_overlay(const std::vector<EnvOption>& options,
                         const std::function<const std::string*(const std::string&)>& lookup) {
  Node overlay;
  for (const EnvOption& option : options) {
    const std::string* value = lookup(option.variable);
    if (value == nullptr) continue;
    const Origin origin{
        std::make_shared<const std::string>("environment variable " + option.variable), 0};
    set_path(overlay, option.path, *value, origin);
  }
  return overlay;
}

namespace detail {

Path child(const Path& path, const std::string& key) {
  Path out = path;
  out.push_back(key);
  return out;
}

Error value_error(const Node& node, const Path& path, std::string_view what) {
  return Error(Errc::config_error,
               fmt::format("{}: '{}': {}", node.origin.describe(), dotted(path), what));
}

namespace {
std::string_view kind_name(const Node& node) {
  switch (node.kind) {
    case Node::Kind::sequence:
      return "a list";
    case Node::Kind::mapping:
      return "a mapping";
    case Node::Kind::scalar:
      return "a single value";
    case Node::Kind::null:
      break;
  }
  return "empty";
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) {
    s.remove_prefix(1);
  }
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) {
    s.remove_suffix(1);
  }
  return s;
}
}  // namespace

Status expect_scalar(const Node& node, const Path& path) {
  if (node.is_scalar()) return ok_status();
  return value_error(node, path, fmt::format("expected a single value, found {}", kind_name(node)));
}

Status expect_mapping(const Node& node, const Path& path) {
  if (node.is_mapping()) return ok_status();
  if (path.empty()) {
    return Error(Errc::config_error,
                 fmt::format("{}: expected a mapping of options (key: value), found {}",
                             node.origin.describe(), kind_name(node)));
  }
  return value_error(
      node, path, fmt::format("expected a mapping (key: value lines), found {}", kind_name(node)));
}

Status expect_sequence(const Node& node, const Path& path) {
  if (node.is_sequence()) return ok_status();
  return value_error(node, path, fmt::format("expected a list, found {}", kind_name(node)));
}

Result<bool> parse_bool(const Node& node, const Path& path) {
  TRIB_TRY(expect_scalar(node, path));
  const std::string v = lower(trim(node.scalar));
  if (v == "true" || v == "yes" || v == "on") return true;
  if (v == "false" || v == "no" || v == "off") return false;
  return value_error(node, path,
                     fmt::format("'{}' is not a boolean; use true or false", node.scalar));
}

Result<int64_t> parse_integer(const Node& node, const Path& path, int64_t min, int64_t max) {
  TRIB_TRY(expect_scalar(node, path));
  const std::string_view s = trim(node.scalar);
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec == std::errc::invalid_argument || end != s.data() + s.size()) {
    return value_error(node, path, fmt::format("'{}' is not an integer", node.scalar));
  }
  if (ec == std::errc::result_out_of_range || v < min || v > max) {
    return value_error(node, path,
                       fmt::format("{} is out of range; valid: {}..{}", node.scalar, min, max));
  }
  return v;
}

Result<uint64_t> parse_bounded_size(const Node& node, const Path& path, uint64_t min,
                                    uint64_t max) {
  TRIB_TRY(expect_scalar(node, path));
  auto v = parse_size(node.scalar);
  if (!v.ok()) return value_error(node, path, v.error().message);
  if (*v < min || *v > max) {
    return value_error(node, path,
                       fmt::format("{} is out of range; valid: {}..{}", node.scalar,
                                   format_size(min), format_size(max)));
  }
  return *v;
}

Result<std::chrono::milliseconds> parse_bounded_duration(const Node& node, const Path& path,
                                                         std::chrono::milliseconds min,
                                                         std::chrono::milliseconds max,
                                                         std::chrono::milliseconds unit) {
  TRIB_TRY(expect_scalar(node, path));
  auto v = parse_duration(node.scalar);
  if (!v.ok()) return value_error(node, path, v.error().message);
  if (*v < min || *v > max) {
    return value_error(node, path,
                       fmt::format("{} is out of range; valid: {}..{}", node.scalar,
                                   format_duration(min), format_duration(max)));
  }
  if (unit.count() > 1 && v->count() % unit.count() != 0) {
    return value_error(
        node, path,
        fmt::format("{} is not a whole multiple of {}", node.scalar, format_duration(unit)));
  }
  return *v;
}

Status check_choice(const Node& node, const Path& path, const std::vector<std::string>& allowed) {
  TRIB_TRY(expect_scalar(node, path));
  if (std::find(allowed.begin(), allowed.end(), node.scalar) != allowed.end()) return ok_status();
  return value_error(
      node, path,
      fmt::format("'{}' is not valid; valid values: {}", node.scalar, join(allowed, ", ")));
}

Result<uint64_t> parse_rate(const Node& node, const Path& path) {
  TRIB_TRY(expect_scalar(node, path));
  if (node.scalar == "0") return uint64_t{0};
  auto v = parse_byte_rate(node.scalar);
  if (!v.ok()) return value_error(node, path, v.error().message);
  return *v;
}

std::string format_real(double value) { return fmt::format("{}", value); }

Result<double> parse_real(const Node& node, const Path& path, double min, double max) {
  TRIB_TRY(expect_scalar(node, path));
  double value = 0;
  const char* begin = node.scalar.data();
  const char* end = begin + node.scalar.size();
  const auto [next, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || next != end) {
    return value_error(node, path, fmt::format("'{}' is not a number", node.scalar));
  }
  if (value < min || value > max) {
    return value_error(node, path,
                       fmt::format("{} is out of range; valid: {}..{}", node.scalar,
                                   format_real(min), format_real(max)));
  }
  return value;
}

Result<std::map<std::string, std::string>> parse_text_map(const Node& node, const Path& path) {
  TRIB_TRY(expect_mapping(node, path));
  std::map<std::string, std::string> out;
  for (const MapEntry& e : node.entries) {
    TRIB_TRY(expect_scalar(e.value, child(path, e.key)));
    out[e.key] = e.value.scalar;
  }
  return out;
}

Result<std::vector<std::string>> parse_text_list(const Node& node, const Path& path) {
  std::vector<std::string> out;
  if (node.is_scalar()) {  // from the environment: "a,b,c"
    std::string_view rest = node.scalar;
    while (!rest.empty()) {
      const size_t comma = rest.find(',');
      const std::string_view item = trim(rest.substr(0, comma));
      if (!item.empty()) out.emplace_back(item);
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    }
    return out;
  }
  TRIB_TRY(expect_sequence(node, path));
  for (size_t i = 0; i < node.items.size(); ++i) {
    const Node& item = node.items[i];
    TRIB_TRY(expect_scalar(item, child(path, std::to_string(i))));
    out.push_back(item.scalar);
  }
  return out;
}

Error unknown_key(const MapEntry& entry, const Path& path, const std::vector<std::string>& valid) {
  const std::string where =
      path.empty() ? "at the top level" : fmt::format("in '{}'", dotted(path));
  return Error(Errc::config_error,
               fmt::format("{}: unknown key '{}' {}; valid keys: {}", entry.key_origin.describe(),
                           entry.key, where, join(valid, ", ")));
}

std::string yaml_quote(std::string_view text) {
  static constexpr std::string_view kReserved[] = {"true", "false", "yes", "no", "on",
                                                   "off",  "null",  "~",   "y",  "n"};
  const bool plain_safe =
      !text.empty() && std::isalpha(static_cast<unsigned char>(text.front())) != 0 &&
      std::all_of(text.begin(), text.end(),
                  [](char c) {
                    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' ||
                           c == '-' || c == '.' || c == '/';
                  }) &&
      std::find(std::begin(kReserved), std::end(kReserved), lower(text)) == std::end(kReserved);
  if (plain_safe) return std::string(text);
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string bool_text(bool b) { return b ? "true" : "false"; }

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += sep;
    out += items[i];
  }
  return out;
}

void write_line(std::string& out, int indent, std::string_view text) {
  out.append(static_cast<size_t>(indent), ' ');
  out += text;
  out += '\n';
}

void write_comment(std::string& out, int indent, std::string_view text, int inner) {
  constexpr size_t kWidth = 100;
  const std::string lead = "# " + std::string(static_cast<size_t>(inner), ' ');
  const size_t room = kWidth - static_cast<size_t>(indent) - lead.size();
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    do {
      std::string_view piece = line;
      if (piece.size() > room) {
        const size_t cut = piece.rfind(' ', room);
        piece = piece.substr(0, cut == std::string_view::npos || cut == 0 ? room : cut);
      }
      write_line(out, indent, piece.empty() ? "#" : lead + std::string(piece));
      line.remove_prefix(piece.size());
      while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    } while (!line.empty());
  }
}

}  // namespace detail
}  // namespace trib::config
