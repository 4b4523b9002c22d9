#pragma once
// A small tmpfs mounted for one test: a disk that fills up (ENOSPC) or turns read-only on demand.
// Mounting needs CAP_SYS_ADMIN (root in CI); without it the test skips, saying so loudly.

#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "support/process.h"

namespace trib::test {

class SmallFilesystem {
 public:
  explicit SmallFilesystem(size_t bytes) : path_(dir_ / "mnt") {
    std::filesystem::create_directories(path_);
    const std::string options = "size=" + std::to_string(bytes);
    if (::mount("tmpfs", path_.c_str(), "tmpfs", 0, options.c_str()) != 0) {
      error_ = std::strerror(errno);
      return;
    }
    mounted_ = true;
  }
  ~SmallFilesystem() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
  }
  SmallFilesystem(const SmallFilesystem&) = delete;
  SmallFilesystem& operator=(const SmallFilesystem&) = delete;

  bool mounted() const { return mounted_; }
  // Why it could not be mounted, for the skip message.
  std::string why_not() const {
    return "SKIPPED LOUDLY: cannot mount a tmpfs here (" + error_ +
           "); the disk-full and read-only cases are not tested on this machine";
  }
  const std::string& path() const { return path_; }

  // Takes every free byte; returns false if the disk did not fill.
  bool fill() {
    std::ofstream out(path_ + "/filler", std::ios::binary);
    const std::string block(64 << 10, 'f');
    while (out.write(block.data(), static_cast<std::streamsize>(block.size()))) {
    }
    return true;
  }
  void free_space() { std::filesystem::remove(path_ + "/filler"); }
  bool remount_read_only() {
    return ::mount(nullptr, path_.c_str(), nullptr, MS_REMOUNT | MS_RDONLY, nullptr) == 0;
  }
  bool remount_writable() {
    return ::mount(nullptr, path_.c_str(), nullptr, MS_REMOUNT, nullptr) == 0;
  }

 private:
  TempDir dir_;
  std::string path_;
  bool mounted_ = false;
  std::string error_;
};

}  // namespace trib::test
