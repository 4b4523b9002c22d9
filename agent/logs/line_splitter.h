#pragma once
// Splits the bytes of one file generation into lines. A line ends at '\n' (not included); the
// bytes of an unfinished last line wait for more, or are handed out by flush() when the file is
// rotated away. A line longer than max_line_bytes is cut into pieces of that size, each but the
// last marked `continues`, and the file goes on. Runs of NUL bytes at the start of a line (the
// hole a copytruncate leaves when the writer does not append) are skipped and counted. Bytes are
// not checked for UTF-8: invalid sequences pass as they are.
//
// A plain value owned by one watched file; no I/O, any thread.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace trib::agent::logs {

struct Line {
  uint64_t offset = 0;  // of the first byte, in the file generation
  std::string_view text;
  bool continues = false;     // a piece of a line longer than max_line_bytes; more follows
  bool unterminated = false;  // from flush(): the file ended without '\n'
};

struct SplitterStats {
  uint64_t lines = 0;
  uint64_t lines_split = 0;  // lines longer than max_line_bytes (each counted once)
  uint64_t nul_bytes_skipped = 0;
};

class LineSplitter {
 public:
  using Sink = std::function<void(const Line&)>;

  // `start` is the file offset of the first byte fed.
  LineSplitter(size_t max_line_bytes, uint64_t start);

  // Emits every line `chunk` completes, in order; the views live until the call returns.
  void feed(std::string_view chunk, const Sink& sink);
  // A source's max_line_bytes changed (or became known after a restart).
  void set_max_line_bytes(size_t max_line_bytes) {
    max_line_bytes_ = max_line_bytes > pending_.size() ? max_line_bytes : pending_.size() + 1;
  }
  // Emits the waiting partial line, if any, as unterminated.
  void flush(const Sink& sink);

  // The offset just after the last byte emitted (or skipped): a checkpoint resumes here, so a
  // partial line is read again after a restart.
  uint64_t consumed() const { return consumed_; }
  // The offset just after the last byte fed.
  uint64_t fed() const { return consumed_ + pending_.size(); }
  size_t pending_bytes() const { return pending_.size(); }
  const SplitterStats& stats() const { return stats_; }

 private:
  void emit(std::string_view text, bool continues, bool unterminated, const Sink& sink);

  size_t max_line_bytes_;
  uint64_t consumed_;
  std::string pending_;         // the unfinished line, starting at consumed_
  bool in_split_line_ = false;  // the pending bytes continue a line already split
  SplitterStats stats_;
};

}  // namespace trib::agent::logs
