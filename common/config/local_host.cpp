#include "common/config/local_host.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "common/config/machine_guid.h"
#include "trib_version.h"

namespace trib::config {
namespace {

std::string os_hostname() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof(buf) - 1) != 0) return "localhost";
  return buf;
}

// The IANA zone name: TZ, else the /etc/localtime link, else UTC.
std::string local_timezone() {
  if (const char* tz = std::getenv("TZ"); tz != nullptr && *tz != '\0') {
    return *tz == ':' ? tz + 1 : tz;
  }
  std::error_code ec;
  const auto target = std::filesystem::read_symlink("/etc/localtime", ec);
  if (!ec) {
    const std::string text = target.string();
    if (const auto pos = text.find("zoneinfo/"); pos != std::string::npos) {
      return text.substr(pos + 9);
    }
  }
  return "UTC";
}

}  // namespace

Result<model::HostInfo> local_host_info(const std::string& data_dir,
                                        const std::string& configured_hostname) {
  TRIB_ASSIGN_OR_RETURN(std::string guid, load_or_create_machine_guid(data_dir));
  model::HostInfo host;
  host.machine_guid = std::move(guid);
  host.hostname = configured_hostname.empty() ? os_hostname() : configured_hostname;
  host.timezone = local_timezone();
  host.program_name = "tributary";
  host.program_version = kVersion;
  host.update_every = 1;
  host.hops = 0;
  return host;
}

}  // namespace trib::config
