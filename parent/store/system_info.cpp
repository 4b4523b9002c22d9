#include "parent/store/system_info.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <array>
#include <fstream>
#include <string>
#include <utility>

namespace trib::parent::store {

namespace {

// NETDATA_* stream parameter (without the prefix) -> /api/v1/info key.
constexpr std::array<std::pair<std::string_view, std::string_view>, 26> kStreamParams = {{
    {"SYSTEM_OS_NAME", "os_name"},
    {"SYSTEM_OS_ID", "os_id"},
    {"SYSTEM_OS_ID_LIKE", "os_id_like"},
    {"SYSTEM_OS_VERSION", "os_version"},
    {"SYSTEM_OS_VERSION_ID", "os_version_id"},
    {"SYSTEM_OS_DETECTION", "os_detection"},
    {"SYSTEM_CPU_LOGICAL_CPU_COUNT", "cores_total"},
    {"SYSTEM_TOTAL_DISK_SIZE", "total_disk_space"},
    {"SYSTEM_CPU_FREQ", "cpu_freq"},
    {"SYSTEM_TOTAL_RAM", "ram_total"},
    {"CONTAINER_OS_NAME", "container_os_name"},
    {"CONTAINER_OS_ID", "container_os_id"},
    {"CONTAINER_OS_ID_LIKE", "container_os_id_like"},
    {"CONTAINER_OS_VERSION", "container_os_version"},
    {"CONTAINER_OS_VERSION_ID", "container_os_version_id"},
    {"CONTAINER_OS_DETECTION", "container_os_detection"},
    {"SYSTEM_KERNEL_NAME", "kernel_name"},
    {"SYSTEM_KERNEL_VERSION", "kernel_version"},
    {"SYSTEM_ARCHITECTURE", "architecture"},
    {"SYSTEM_VIRTUALIZATION", "virtualization"},
    {"SYSTEM_VIRT_DETECTION", "virt_detection"},
    {"SYSTEM_CONTAINER", "container"},
    {"SYSTEM_CONTAINER_DETECTION", "container_detection"},
    {"HOST_IS_K8S_NODE", "is_k8s_node"},
    {"INSTANCE_CLOUD_TYPE", "cloud_provider_type"},
    {"INSTANCE_CLOUD_INSTANCE_TYPE", "cloud_instance_type"},
}};
constexpr std::string_view kCloudRegionParam = "INSTANCE_CLOUD_INSTANCE_REGION";

std::string_view info_key_for(std::string_view param) {
  constexpr std::string_view kPrefix = "NETDATA_";
  if (param.substr(0, kPrefix.size()) != kPrefix) return {};
  std::string name(param.substr(kPrefix.size()));
  if (name.rfind("HOST_OS_", 0) == 0)
    name = "SYSTEM_" + name.substr(5);  // HOST_OS_* -> SYSTEM_OS_*
  if (name == kCloudRegionParam) return "cloud_instance_region";
  for (const auto& [from, to] : kStreamParams) {
    if (from == name) return to;
  }
  return {};
}

std::string unquote(std::string value) {
  if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
      value.back() == value.front()) {
    return value.substr(1, value.size() - 2);
  }
  return value;
}

void add_os_release(std::vector<model::Label>& out) {
  std::ifstream file("/etc/os-release");
  constexpr std::array<std::pair<std::string_view, std::string_view>, 5> kKeys = {{
      {"NAME", "os_name"},
      {"ID", "os_id"},
      {"ID_LIKE", "os_id_like"},
      {"VERSION", "os_version"},
      {"VERSION_ID", "os_version_id"},
  }};
  std::string line;
  bool any = false;
  while (std::getline(file, line)) {
    const size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    const std::string_view key(line.data(), eq);
    for (const auto& [from, to] : kKeys) {
      if (from == key) {
        out.emplace_back(std::string(to), unquote(line.substr(eq + 1)));
        any = true;
      }
    }
  }
  if (any) out.emplace_back("os_detection", "/etc/os-release");
}

}  // namespace

const std::vector<std::string_view>& system_info_keys() {
  static const std::vector<std::string_view> keys = [] {
    std::vector<std::string_view> k;
    for (const auto& [from, to] : kStreamParams) k.push_back(to);
    k.push_back("cloud_instance_region");
    return k;
  }();
  return keys;
}

std::vector<model::Label> system_info_from_stream_params(const http::QueryParams& params) {
  std::vector<model::Label> out;
  for (const auto& [name, value] : params) {
    const std::string_view key = info_key_for(name);
    if (key.empty()) continue;
    bool replaced = false;
    for (auto& [k, v] : out) {
      if (k == key) {
        v = value;
        replaced = true;
      }
    }
    if (!replaced) out.emplace_back(std::string(key), value);
  }
  return out;
}

std::vector<model::Label> local_system_info() {
  std::vector<model::Label> out;
  add_os_release(out);
  const long cpus = sysconf(_SC_NPROCESSORS_CONF);
  if (cpus > 0) out.emplace_back("cores_total", std::to_string(cpus));
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page_size = sysconf(_SC_PAGESIZE);
  if (pages > 0 && page_size > 0) {
    out.emplace_back("ram_total", std::to_string(static_cast<uint64_t>(pages) *
                                                 static_cast<uint64_t>(page_size)));
  }
  struct utsname uts {};
  if (uname(&uts) == 0) {
    out.emplace_back("kernel_name", uts.sysname);
    out.emplace_back("kernel_version", uts.release);
    out.emplace_back("architecture", uts.machine);
  }
  return out;
}

}  // namespace trib::parent::store
