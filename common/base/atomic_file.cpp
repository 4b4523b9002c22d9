#include "common/base/atomic_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace trib {
namespace {

Error errno_error(std::string_view what, const std::string& path) {
  const int e = errno;
  return Error(std::error_code(e, std::generic_category()),
               fmt::format("{} {}: {}", what, path, std::strerror(e)));
}

// Writes all of `data` to a new file and fsyncs it.
Status write_synced(const std::string& path, std::string_view data) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return errno_error("cannot create", path);
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Error e = errno_error("cannot write", path);
      ::close(fd);
      return e;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    Error e = errno_error("cannot fsync", path);
    ::close(fd);
    return e;
  }
  if (::close(fd) != 0) return errno_error("cannot close", path);
  return ok_status();
}

Status sync_directory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno_error("cannot open directory", dir);
  const int rc = ::fsync(fd);
  Status status = rc == 0 ? ok_status() : Status(errno_error("cannot fsync directory", dir));
  ::close(fd);
  return status;
}

}  // namespace

Status write_file_atomically(const std::string& path, std::string_view contents) {
  const std::string temp = fmt::format("{}.tmp.{}", path, ::getpid());
  Status written = write_synced(temp, contents);
  if (!written.ok()) {
    ::unlink(temp.c_str());
    return written;
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    Error e = errno_error("cannot rename into place", path);
    ::unlink(temp.c_str());
    return e;
  }
  std::string dir = std::filesystem::path(path).parent_path().string();
  return sync_directory(dir.empty() ? "." : dir);
}

}  // namespace trib
