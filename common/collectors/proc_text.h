#pragma once
// Reading and parsing kernel text files cheaply: one reusable buffer per collector
// (open/read/close, no iostreams), std::from_chars, views into the buffer instead of copies.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "common/base/result.h"

namespace trib::collectors {

// A file read again and again, e.g. /proc/<pid>/stat of a watched process. A /proc or /sys file
// stays open between reads and is re-read from offset 0 with pread(), as Netdata's procfile
// does, since those files regenerate their text on every read from the start: one system call
// per read instead of three. Other files (a pid file, a test fixture) are opened for each read,
// since a deleted or replaced one would keep showing its old text through a kept descriptor.
class KeptFile {
 public:
  KeptFile() = default;
  explicit KeptFile(std::string path) : path_(std::move(path)) {}
  KeptFile(KeptFile&& other) noexcept
      : path_(std::move(other.path_)), fd_(std::exchange(other.fd_, -1)), keep_(other.keep_) {}
  KeptFile& operator=(KeptFile&& other) noexcept;
  KeptFile(const KeptFile&) = delete;
  KeptFile& operator=(const KeptFile&) = delete;
  ~KeptFile() { close(); }

  const std::string& path() const { return path_; }
  bool is_open() const { return fd_ >= 0; }
  // The open descriptor, opening the file first when it is not open.
  Result<int> acquire();
  // After a use: closes the descriptor unless the file is kept.
  void release() {
    if (!keep_) close();
  }
  // Opens the file again (its kept descriptor went stale: the process is gone, say).
  Status reopen() { return open(); }
  void close();

 private:
  Status open();

  std::string path_;
  int fd_ = -1;
  bool keep_ = false;  // a regenerating kernel file: keep fd_ open between reads
};

// Reads whole small files into a buffer it keeps between calls. A view it returns is valid
// until the next read. Not thread-safe: one per collector.
class FileReader {
 public:
  explicit FileReader(size_t initial_capacity = 4096) { buffer_.resize(initial_capacity); }
  FileReader(const FileReader&) = delete;
  FileReader& operator=(const FileReader&) = delete;

  // The whole file, or an io_error naming the path (errno text included). The file read last
  // by path is kept open (see KeptFile), so a collector polling one file pays one call a round.
  Result<std::string_view> read(const std::string& path);
  // The whole file, keeping it open in `file` where KeptFile says so.
  Result<std::string_view> read(KeptFile& file);

 private:
  // Reads from offset 0 to the end into buffer_; false with errno set on failure.
  bool read_all(int fd, size_t& used);

  std::string buffer_;
  KeptFile last_;
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

}  // namespace trib::collectors
