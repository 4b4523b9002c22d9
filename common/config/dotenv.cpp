#include "common/config/dotenv.h"

#include <fmt/format.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

extern char** environ;  // NOLINT: POSIX

namespace trib::config {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

bool valid_name(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name.front())) != 0) return false;
  for (const char c : name) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '_') return false;
  }
  return true;
}

// The value after '='; `what` receives a description of the problem on failure.
bool parse_value(std::string_view raw, std::string& value, std::string& what) {
  raw = trim(raw);
  if (raw.empty()) return true;
  const char quote = raw.front();
  if (quote != '"' && quote != '\'') {
    const size_t comment = raw.find(" #");
    const size_t tab_comment = raw.find("\t#");
    value = trim(raw.substr(0, std::min(comment, tab_comment)));
    return true;
  }
  size_t i = 1;
  for (; i < raw.size() && raw[i] != quote; ++i) {
    char c = raw[i];
    if (quote == '"' && c == '\\' && i + 1 < raw.size()) {
      c = raw[++i];
      if (c == 'n') c = '\n';
      if (c == 't') c = '\t';
    }
    value += c;
  }
  if (i == raw.size()) {
    what = fmt::format("unterminated {}-quoted value", quote == '"' ? "double" : "single");
    return false;
  }
  const std::string_view rest = trim(raw.substr(i + 1));
  if (!rest.empty() && rest.front() != '#') {
    what = "unexpected text after the closing quote";
    return false;
  }
  return true;
}

}  // namespace

Environment process_environment() {
  Environment env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const size_t eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  return env;
}

Result<Environment> parse_dotenv(std::string_view text, const std::string& source_name) {
  Environment env;
  int line_number = 0;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++line_number;
    if (line.empty() || line.front() == '#') continue;
    if (line.starts_with("export ") || line.starts_with("export\t")) line = trim(line.substr(7));
    const size_t eq = line.find('=');
    const auto fail = [&](std::string_view what) {
      return Error(Errc::config_error, fmt::format("{}:{}: {}", source_name, line_number, what));
    };
    if (eq == std::string_view::npos) return fail("expected KEY=value");
    const std::string_view name = trim(line.substr(0, eq));
    if (!valid_name(name)) {
      return fail(fmt::format("'{}' is not a variable name (letters, digits, _)", name));
    }
    std::string value;
    std::string what;
    if (!parse_value(line.substr(eq + 1), value, what)) return fail(what);
    env[std::string(name)] = std::move(value);
  }
  return env;
}

Result<Environment> load_dotenv(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return Environment{};
    return Error(Errc::io_error, fmt::format("{}: cannot open for reading", path));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_dotenv(text.str(), path);
}

Environment with_dotenv(Environment env, const Environment& dotenv) {
  for (const auto& [name, value] : dotenv) env.emplace(name, value);  // emplace keeps existing
  return env;
}

std::function<const std::string*(const std::string&)> lookup_in(const Environment& env) {
  return [&env](const std::string& name) -> const std::string* {
    const auto it = env.find(name);
    return it == env.end() ? nullptr : &it->second;
  };
}

}  // namespace trib::config
