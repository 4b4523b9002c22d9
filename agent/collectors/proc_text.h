#pragma once
// Reading and parsing kernel text files cheaply: one reusable buffer per collector
// (open/read/close, no iostreams), std::from_chars, views into the buffer instead of copies.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/base/result.h"

namespace trib::agent::collectors {

// Reads whole small files into a buffer it keeps between calls. A view it returns is valid
// until the next read. Not thread-safe: one per collector.
//
// The /proc or /sys file read last stays open: reading the same path again re-reads it from
// offset 0 with pread(), as Netdata's procfile does, since those files regenerate their text on
// every read from the start. A collector that polls one file every second thus costs one
// system call per round instead of three. Other files are closed after each read.
class FileReader {
 public:
  explicit FileReader(size_t initial_capacity = 4096) { buffer_.resize(initial_capacity); }
  ~FileReader();
  FileReader(const FileReader&) = delete;
  FileReader& operator=(const FileReader&) = delete;

  // The whole file, or an io_error naming the path (errno text included).
  Result<std::string_view> read(const std::string& path);

 private:
  Status open_file(const std::string& path);
  void close_file();
  // Reads from offset 0 to the end into buffer_; false with errno set on failure.
  bool read_all(size_t& used);

  std::string buffer_;
  std::string open_path_;  // the kept file; empty when fd_ is not to be kept
  int fd_ = -1;
};

// Splits text into lines and lines into whitespace-separated words, without copying.
class Tokenizer {
 public:
  explicit Tokenizer(std::string_view text) : rest_(text) {}
  bool done() const { return rest_.empty(); }
  // The next line without its '\n'; empty view at the end.
  std::string_view next_line();
  // The next run of non-blank characters (blanks: space, tab, newline); empty at the end.
  std::string_view next_word();
  std::string_view rest() const { return rest_; }

 private:
  std::string_view rest_;
};

// Whole-word number parsing; false when the text is not entirely a number.
bool parse_u64(std::string_view text, uint64_t& out);
bool parse_i64(std::string_view text, int64_t& out);
bool parse_double(std::string_view text, double& out);

// The first number of a file such as entropy_avail; `ok` false when absent or malformed.
uint64_t first_u64(std::string_view text, bool& ok);

// Netdata's netdata_fix_chart_id(): every character other than [A-Za-z0-9_.-] becomes '_',
// so "/home" becomes "_home".
std::string fix_chart_id(std::string_view text);

// Simple patterns as Netdata's defaults use them: '*' matches any run of characters.
bool matches_pattern(std::string_view pattern, std::string_view text);

// /proc/self/mountinfo decodes "\040" style octal escapes in paths.
std::string decode_octal_escapes(std::string_view text);

}  // namespace trib::agent::collectors
