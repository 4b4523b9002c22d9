#include "common/collectors/proc_text.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace trib::collectors {
namespace {
// A kernel text file larger than this is not one we read (a mountinfo with tens of thousands of
// mounts would be); refusing keeps a bad host from growing the agent's memory.
constexpr size_t kMaxFileSize = 8 * 1024 * 1024;

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
}  // namespace

KeptFile& KeptFile::operator=(KeptFile&& other) noexcept {
  if (this != &other) {
    close();
    path_ = std::move(other.path_);
    fd_ = std::exchange(other.fd_, -1);
    keep_ = other.keep_;
  }
  return *this;
}

void KeptFile::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Status KeptFile::open() {
  close();
  fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) {
    return Error(std::error_code(errno, std::generic_category()), "cannot open " + path_);
  }
  struct statfs fs {};
  keep_ = ::fstatfs(fd_, &fs) == 0 && (fs.f_type == PROC_SUPER_MAGIC || fs.f_type == SYSFS_MAGIC);
  return {};
}

Result<int> KeptFile::acquire() {
  if (fd_ < 0) TRIB_TRY(open());
  return fd_;
}

bool FileReader::read_all(int fd, size_t& used) {
  used = 0;
  while (true) {
    if (used == buffer_.size()) {
      if (buffer_.size() >= kMaxFileSize) {
        errno = EFBIG;
        return false;
      }
      buffer_.resize(buffer_.size() * 2);
    }
    const ssize_t n =
        ::pread(fd, buffer_.data() + used, buffer_.size() - used, static_cast<off_t>(used));
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (n == 0) return true;
    used += static_cast<size_t>(n);
  }
}

Result<std::string_view> FileReader::read(const std::string& path) {
  if (last_.path() != path) last_ = KeptFile(path);
  return read(last_);
}

Result<std::string_view> FileReader::read(KeptFile& file) {
  const bool reused = file.is_open();
  TRIB_ASSIGN_OR_RETURN(int fd, file.acquire());
  size_t used = 0;
  bool ok = read_all(fd, used);
  if (!ok && reused && errno != EFBIG) {
    // The kept descriptor went stale (its process is gone, the file was replaced): reopen once.
    TRIB_TRY(file.reopen());
    ok = read_all(*file.acquire(), used);
  }
  if (ok) {
    file.release();
    return std::string_view(buffer_.data(), used);
  }
  const int saved = errno;
  file.close();
  if (saved == EFBIG) {
    return Error(Errc::limit_exceeded,
                 file.path() + " is larger than " + std::to_string(kMaxFileSize) + " bytes");
  }
  return Error(std::error_code(saved, std::generic_category()), "cannot read " + file.path());
}

std::string_view Tokenizer::next_line() {
  size_t end = rest_.find('\n');
  std::string_view line = rest_.substr(0, end);
  rest_ = end == std::string_view::npos ? std::string_view() : rest_.substr(end + 1);
  return line;
}

std::string_view Tokenizer::next_word() {
  size_t start = 0;
  while (start < rest_.size() && is_blank(rest_[start])) ++start;
  size_t end = start;
  while (end < rest_.size() && !is_blank(rest_[end])) ++end;
  std::string_view word = rest_.substr(start, end - start);
  rest_ = rest_.substr(end);
  return word;
}

bool parse_u64(std::string_view text, uint64_t& out) {
  if (text.empty()) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

bool parse_i64(std::string_view text, int64_t& out) {
  if (text.empty()) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

bool parse_double(std::string_view text, double& out) {
  if (text.empty()) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

uint64_t first_u64(std::string_view text, bool& ok) {
  Tokenizer tokens(text);
  uint64_t value = 0;
  ok = parse_u64(tokens.next_word(), value);
  return value;
}

std::string fix_chart_id(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '_' || c == '.' || c == '-';
    if (!keep) c = '_';
  }
  return out;
}

bool matches_pattern(std::string_view pattern, std::string_view text) {
  // Iterative glob with one backtrack point: enough for '*' only patterns.
  size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::string decode_octal_escapes(std::string_view text) {
  auto is_octal = [](char c) { return c >= '0' && c <= '7'; };
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && text.size() - i > 3 && is_octal(text[i + 1]) && is_octal(text[i + 2]) &&
        is_octal(text[i + 3])) {
      out.push_back(static_cast<char>((text[i + 1] - '0') * 64 + (text[i + 2] - '0') * 8 +
                                      (text[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

}  // namespace trib::collectors
