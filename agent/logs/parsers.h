#pragma once
// Parsers that turn a log line into attributes: JSON (an object's top-level members), logfmt
// (key=value, values optionally double-quoted), syslog (RFC 3164 and RFC 5424 headers). Each
// takes untrusted bytes and never fails loudly: a line that does not parse returns false and is
// kept whole by the caller. Pure functions, any thread.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace trib::agent::logs {

using Attributes = std::vector<std::pair<std::string, std::string>>;

enum class ParserKind { none, json, logfmt, syslog };

// "none" | "json" | "logfmt" | "syslog"; false for anything else.
bool parse_parser_kind(std::string_view name, ParserKind& out);

bool parse_json_line(std::string_view line, Attributes& out);
bool parse_logfmt_line(std::string_view line, Attributes& out);
bool parse_syslog_line(std::string_view line, Attributes& out);

// Dispatches on `kind`; `none` parses nothing and succeeds.
bool parse_line(ParserKind kind, std::string_view line, Attributes& out);

}  // namespace trib::agent::logs
