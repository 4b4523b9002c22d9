#include "parent/store/system_info.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace trib::parent::store {
namespace {

const std::string* find(const std::vector<model::Label>& labels, std::string_view key) {
  for (const auto& [k, v] : labels) {
    if (k == key) return &v;
  }
  return nullptr;
}

TEST(SystemInfoTest, MapsNetdataStreamParameters) {
  auto params = http::parse_query(
      "hostname=c&NETDATA_SYSTEM_OS_NAME=Debian+GNU%2FLinux&NETDATA_SYSTEM_CPU_LOGICAL_CPU_COUNT=8"
      "&NETDATA_HOST_OS_ID=debian&NETDATA_INSTANCE_CLOUD_INSTANCE_REGION=eu-1"
      "&NETDATA_CONTAINER_OS_NAME=none&NETDATA_UNKNOWN=x&NETDATA_SYSTEM_OS_NAME=Debian");
  ASSERT_TRUE(params.ok());
  const auto info = system_info_from_stream_params(*params);
  EXPECT_EQ(*find(info, "os_name"), "Debian");  // the last one wins
  EXPECT_EQ(*find(info, "cores_total"), "8");
  EXPECT_EQ(*find(info, "os_id"), "debian");
  EXPECT_EQ(*find(info, "cloud_instance_region"), "eu-1");
  EXPECT_EQ(*find(info, "container_os_name"), "none");
  EXPECT_EQ(info.size(), 5u);
}

TEST(SystemInfoTest, LocalInfoHasKernelAndCpus) {
  const auto info = local_system_info();
  ASSERT_NE(find(info, "kernel_name"), nullptr);
  EXPECT_EQ(*find(info, "kernel_name"), "Linux");
  ASSERT_NE(find(info, "cores_total"), nullptr);
  EXPECT_GT(std::stoi(*find(info, "cores_total")), 0);
  // Every key produced is one /api/v1/info knows.
  const auto& keys = system_info_keys();
  for (const auto& [k, v] : info) {
    EXPECT_NE(std::find(keys.begin(), keys.end(), k), keys.end()) << k;
  }
}

}  // namespace
}  // namespace trib::parent::store
