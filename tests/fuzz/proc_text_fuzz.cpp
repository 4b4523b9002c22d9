// Fuzzes the collectors' text helpers with arbitrary kernel-file contents: a process controls
// its own comm and cmdline, and mount points come from users, so these bytes are not trusted.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/collectors/proc_text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trib::collectors;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  Tokenizer lines(text);
  while (!lines.done()) {
    Tokenizer words(lines.next_line());
    for (std::string_view word = words.next_word(); !word.empty(); word = words.next_word()) {
      uint64_t u = 0;
      int64_t i = 0;
      double d = 0;
      (void)parse_u64(word, u);
      (void)parse_i64(word, i);
      (void)parse_double(word, d);
    }
  }
  bool ok = false;
  (void)first_u64(text, ok);
  (void)decode_octal_escapes(text);
  (void)fix_chart_id(text);
  size_t half = size / 2;
  (void)matches_pattern(text.substr(0, half), text.substr(half));
  return 0;
}
