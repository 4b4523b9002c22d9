#include "agent/logs/line_splitter.h"

#include <algorithm>

namespace trib::agent::logs {

LineSplitter::LineSplitter(size_t max_line_bytes, uint64_t start)
    : max_line_bytes_(std::max<size_t>(1, max_line_bytes)), consumed_(start) {}

void LineSplitter::emit(std::string_view text, bool continues, bool unterminated,
                        const Sink& sink) {
  sink(Line{consumed_, text, continues, unterminated});
  if (!in_split_line_ && continues) ++stats_.lines_split;
  if (!continues) ++stats_.lines;
  in_split_line_ = continues;
}

void LineSplitter::feed(std::string_view chunk, const Sink& sink) {
  while (!chunk.empty()) {
    // NULs where a line would start: a hole, not data.
    if (pending_.empty() && !in_split_line_ && chunk.front() == '\0') {
      const size_t run = std::min(chunk.find_first_not_of('\0'), chunk.size());
      stats_.nul_bytes_skipped += run;
      consumed_ += run;
      chunk.remove_prefix(run);
      continue;
    }
    const size_t room = max_line_bytes_ - pending_.size();
    const size_t newline = chunk.substr(0, room).find('\n');
    if (newline != std::string_view::npos) {
      const size_t length = pending_.size() + newline;
      if (pending_.empty()) {
        emit(chunk.substr(0, newline), false, false, sink);  // no copy on the common path
      } else {
        pending_.append(chunk.substr(0, newline));
        emit(pending_, false, false, sink);
        pending_.clear();
      }
      consumed_ += length + 1;
      chunk.remove_prefix(newline + 1);
      continue;
    }
    if (chunk.size() < room) {
      pending_.append(chunk);
      return;
    }
    // max_line_bytes without a newline: a piece goes out, the line goes on.
    pending_.append(chunk.substr(0, room));
    chunk.remove_prefix(room);
    emit(pending_, true, false, sink);
    consumed_ += pending_.size();
    pending_.clear();
  }
}

void LineSplitter::flush(const Sink& sink) {
  if (pending_.empty()) return;
  emit(pending_, false, true, sink);
  consumed_ += pending_.size();
  pending_.clear();
}

}  // namespace trib::agent::logs
