#include "common/base/process_setup.h"

#include <sys/resource.h>

#include <csignal>

#include <cerrno>
#include <system_error>

namespace trib {

Result<uint64_t> raise_open_files_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return Error(std::error_code(errno, std::generic_category()), "cannot read RLIMIT_NOFILE");
  }
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
      return Error(std::error_code(errno, std::generic_category()),
                   "cannot raise RLIMIT_NOFILE to its hard limit");
    }
  }
  return static_cast<uint64_t>(limit.rlim_cur);
}

void ignore_broken_pipes() { std::signal(SIGPIPE, SIG_IGN); }

}  // namespace trib
