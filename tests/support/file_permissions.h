#pragma once
// Makes file permission bits apply to the calling thread even when the tests run as root: root
// reads a mode-000 file through CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH, so a "permission
// denied" test would pass without testing anything. Capabilities are per thread on Linux: this
// drops the two from the calling thread's effective set (they stay permitted) and puts them back
// when it goes out of scope. Code under test must run on the same thread.

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

namespace trib::test {

class PermissionBitsApply {
 public:
  PermissionBitsApply() {
    if (!read(saved_)) {
      why_not_ = "capget failed";
      return;
    }
    __user_cap_data_struct reduced[2] = {saved_[0], saved_[1]};
    for (int cap : {CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH}) {
      reduced[CAP_TO_INDEX(cap)].effective &= ~CAP_TO_MASK(cap);
    }
    if (!write(reduced)) {
      why_not_ = "capset failed";
      return;
    }
    dropped_ = true;
  }
  ~PermissionBitsApply() {
    if (dropped_) write(saved_);
  }
  PermissionBitsApply(const PermissionBitsApply&) = delete;
  PermissionBitsApply& operator=(const PermissionBitsApply&) = delete;

  // Empty when permission bits now apply to this thread.
  const std::string& why_not() const { return why_not_; }

 private:
  static bool read(__user_cap_data_struct (&data)[2]) {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    return ::syscall(SYS_capget, &header, data) == 0;
  }
  static bool write(__user_cap_data_struct (&data)[2]) {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    return ::syscall(SYS_capset, &header, data) == 0;
  }

  __user_cap_data_struct saved_[2]{};
  bool dropped_ = false;
  std::string why_not_;
};

}  // namespace trib::test
