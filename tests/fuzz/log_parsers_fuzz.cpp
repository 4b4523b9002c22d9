// Fuzzes the log line parsers (JSON, logfmt, syslog): every line of a watched file is untrusted,
// and a parser must neither crash nor run away on any of them.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "agent/logs/parsers.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trib::agent::logs;
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  for (const ParserKind kind :
       {ParserKind::none, ParserKind::json, ParserKind::logfmt, ParserKind::syslog}) {
    Attributes attributes;
    (void)parse_line(kind, line, attributes);
  }
  return 0;
}
