// The agent and the parent as users run them: real binaries on loopback.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "integration/cluster.h"

namespace trib::test {
namespace {

using namespace std::chrono_literals;

std::set<std::string> chart_ids(const nlohmann::json& charts) {
  std::set<std::string> ids;
  for (const auto& [id, chart] : charts["charts"].items()) ids.insert(id);
  return ids;
}

// Block devices and interfaces this machine has, as the agent will chart them.
std::vector<std::string> first_words_of(const std::string& path, size_t skip_lines, size_t field) {
  std::ifstream in(path);
  std::string line;
  std::vector<std::string> out;
  for (size_t i = 0; std::getline(in, line); ++i) {
    if (i < skip_lines) continue;
    std::istringstream words(line);
    std::string w;
    for (size_t f = 0; f <= field && words >> w; ++f) {
    }
    if (!w.empty()) out.push_back(w);
  }
  return out;
}

double proc_value(const std::string& path, const std::string& key) {
  std::ifstream in(path);
  std::string k;
  double v = NAN;
  while (in >> k) {
    if (k == key) {
      in >> v;
      return v;
    }
  }
  return v;
}

// The newest non-null value of `dimension` in `chart` of host `guid`.
double latest(Cluster& cluster, const std::string& guid, const std::string& chart,
              const std::string& dimension) {
  auto data = cluster.get_json("/host/" + guid + "/api/v1/data?chart=" + chart +
                               "&after=-15&dimensions=" + dimension);
  if (!data) return NAN;
  for (const auto& row : (*data)["data"]) {
    if (row.size() >= 2 && row[1].is_number()) return row[1].get<double>();
  }
  return NAN;
}

TEST(EndToEnd, AgentStreamsToParentAndIsServedUnderHost) {
  Cluster cluster;
  cluster.start_parent();
  auto agent = cluster.start_agent("web-01");
  ASSERT_TRUE(eventually([&] { return !cluster.agent_guid("web-01").empty(); }, 5s));
  const std::string guid = cluster.agent_guid("web-01");

  // Within 10 s the agent is mirrored with hops 1, and the parent lists itself with hops 0.
  ASSERT_TRUE(eventually([&] { return cluster.reachable(guid); }, 10s)) << cluster.parent_log();
  auto info = cluster.get_json("/api/v1/info");
  ASSERT_TRUE(info);
  bool self_listed = false;
  for (const auto& h : (*info)["mirrored_hosts_status"]) {
    if (h["guid"] == guid) {
      EXPECT_EQ(h["hops"], 1);
    }
    if (h["guid"] == (*info)["uid"]) {
      self_listed = true;
      EXPECT_EQ(h["hops"], 0);
      EXPECT_EQ(h["reachable"], true);
    }
  }
  EXPECT_TRUE(self_listed);
  const auto hostnames = (*info)["mirrored_hosts"];
  EXPECT_NE(std::find(hostnames.begin(), hostnames.end(), "web-01"), hostnames.end());

  // At least 5 rows of system.cpu within the last 10 s, by GUID and by hostname.
  ASSERT_TRUE(eventually(
      [&] {
        auto data = cluster.get_json("/host/" + guid + "/api/v1/data?chart=system.cpu&after=-10");
        return data && (*data)["data"].size() >= 5;
      },
      15s));
  auto by_name = cluster.get_json("/host/web-01/api/v1/data?chart=system.cpu&after=-10");
  ASSERT_TRUE(by_name);
  EXPECT_EQ((*by_name)["labels"][0], "time");

  // Every chart family of the issue is there, for the devices this machine has.
  auto charts = cluster.get_json("/host/" + guid + "/api/v1/charts");
  ASSERT_TRUE(charts);
  const auto ids = chart_ids(*charts);
  for (const char* id :
       {"system.cpu", "system.load", "system.ram", "mem.available", "system.io", "system.pgpgio",
        "system.net", "system.processes", "system.forks", "system.ctxt", "system.intr",
        "system.uptime", "system.entropy", "cpu.cpu0"}) {
    EXPECT_TRUE(ids.count(id)) << "missing chart " << id;
  }
  // Like Netdata, swap is charted only on a machine that has swap.
  if (proc_value("/proc/meminfo", "SwapTotal:") > 0) {
    EXPECT_TRUE(ids.count("system.swap"));
  }
  bool any_disk = false, any_net = false, any_space = false, any_app = false;
  for (const auto& id : ids) {
    any_disk |= id.rfind("disk.", 0) == 0;
    any_net |= id.rfind("net.", 0) == 0;
    any_space |= id.rfind("disk_space.", 0) == 0;
    any_app |= id.rfind("apps.", 0) == 0;
  }
  EXPECT_TRUE(any_net) << "no net.<iface> chart";
  EXPECT_TRUE(any_space) << "no disk_space.<mount> chart";
  EXPECT_TRUE(any_app) << "no process (apps.*) chart";
  if (!first_words_of("/proc/diskstats", 0, 2).empty()) {
    EXPECT_TRUE(any_disk) << "no disk.<dev> chart";
  }
}

// The parent collects its own host like an agent does, served at /api/v1/... and under its own
// GUID, with its process group named after the parent binary.
TEST(EndToEnd, ParentChartsItsOwnHost) {
  Cluster cluster;
  cluster.start_parent();
  ASSERT_TRUE(eventually(
      [&] {
        auto data = cluster.get_json("/api/v1/data?chart=system.cpu&after=-10");
        return data && (*data)["data"].size() >= 3;
      },
      10s))
      << cluster.parent_log();
  auto info = cluster.get_json("/api/v1/info");
  ASSERT_TRUE(info);
  const std::string self = (*info)["uid"];
  auto charts = cluster.get_json("/host/" + self + "/api/v1/charts");
  ASSERT_TRUE(charts);
  const auto ids = chart_ids(*charts);
  for (const char* id : {"system.cpu", "system.ram", "system.load", "cpu.cpu0", "apps.cpu"}) {
    EXPECT_TRUE(ids.count(id)) << "missing chart " << id;
  }
  auto apps = cluster.get_json("/api/v1/chart?chart=apps.mem");
  ASSERT_TRUE(apps);
  EXPECT_TRUE((*apps)["dimensions"].contains("tributary-parent")) << apps->dump();
}

TEST(EndToEnd, ValuesAgreeWithProc) {
  Cluster cluster;
  cluster.start_parent();
  auto agent = cluster.start_agent("db-01");
  ASSERT_TRUE(eventually([&] { return !cluster.agent_guid("db-01").empty(); }, 5s));
  const std::string guid = cluster.agent_guid("db-01");
  // Rates need two collections and system.load is collected every 5 s, as Netdata does.
  const auto have = [&](const char* chart, const char* dim) {
    return eventually([&] { return !std::isnan(latest(cluster, guid, chart, dim)); }, 15s);
  };
  ASSERT_TRUE(have("system.uptime", "uptime"));
  ASSERT_TRUE(have("mem.available", "avail"));
  ASSERT_TRUE(have("system.load", "load15"));
  ASSERT_TRUE(have("system.cpu", "idle"));

  // Uptime: /proc/uptime now, minus at most a few seconds of collection and query delay.
  std::ifstream uptime_file("/proc/uptime");
  double uptime = 0;
  uptime_file >> uptime;
  EXPECT_NEAR(latest(cluster, guid, "system.uptime", "uptime"), uptime, 5.0);

  // Memory: MemAvailable in MiB within 5 %.
  const double available_mib = proc_value("/proc/meminfo", "MemAvailable:") / 1024.0;
  EXPECT_NEAR(latest(cluster, guid, "mem.available", "avail"), available_mib, available_mib * 0.05);

  // Load average: the 15-minute one moves slowly.
  std::ifstream loadavg("/proc/loadavg");
  double l1 = 0, l5 = 0, l15 = 0;
  loadavg >> l1 >> l5 >> l15;
  EXPECT_NEAR(latest(cluster, guid, "system.load", "load15"), l15, 0.5);

  // CPU: every dimension of system.cpu, the hidden idle too, adds up to 100 %.
  auto cpu = cluster.get_json("/host/" + guid +
                              "/api/v1/data?chart=system.cpu&after=-5&dimensions=guest_nice,guest,"
                              "steal,softirq,irq,user,system,nice,iowait,idle");
  ASSERT_TRUE(cpu);
  ASSERT_FALSE((*cpu)["data"].empty());
  const auto& row = (*cpu)["data"][0];
  ASSERT_EQ(row.size(), 11U) << row;
  double total = 0;
  for (size_t i = 1; i < row.size(); ++i) {
    if (row[i].is_number()) total += row[i].get<double>();
  }
  EXPECT_NEAR(total, 100.0, 1.0) << row;
}

TEST(EndToEnd, AgentReconnectsAfterParentRestartAndKeepsItsGuid) {
  Cluster cluster;
  cluster.start_parent();
  auto agent = cluster.start_agent("app-01");
  ASSERT_TRUE(eventually([&] { return !cluster.agent_guid("app-01").empty(); }, 5s));
  const std::string guid = cluster.agent_guid("app-01");
  ASSERT_TRUE(eventually([&] { return cluster.reachable(guid); }, 10s));

  cluster.stop_parent();
  cluster.restart_parent();
  EXPECT_TRUE(eventually([&] { return cluster.reachable(guid); }, 15s))
      << cluster.agent_log("app-01");

  // The GUID survives an agent restart.
  agent->stop();
  agent = cluster.start_agent("app-01");
  EXPECT_TRUE(eventually(
      [&] { return cluster.agent_log("app-01").find("starting") != std::string::npos; }, 5s));
  EXPECT_EQ(cluster.agent_guid("app-01"), guid);
  EXPECT_TRUE(eventually([&] { return cluster.reachable(guid); }, 15s));
  auto info = cluster.get_json("/api/v1/info");
  ASSERT_TRUE(info);
  size_t entries = 0;
  for (const auto& h : (*info)["mirrored_hosts_status"]) entries += h["guid"] == guid ? 1 : 0;
  EXPECT_EQ(entries, 1U);
}

TEST(EndToEnd, CleanStopIsTellableFromALostAgent) {
  Cluster cluster;
  cluster.start_parent();
  auto agent = cluster.start_agent("cache-01");
  ASSERT_TRUE(eventually([&] { return !cluster.agent_guid("cache-01").empty(); }, 5s));
  const std::string guid = cluster.agent_guid("cache-01");
  ASSERT_TRUE(eventually([&] { return cluster.reachable(guid); }, 10s));
  EXPECT_EQ(agent->stop(), 0);
  EXPECT_TRUE(eventually([&] { return !cluster.reachable(guid); }, 5s));
  EXPECT_NE(cluster.parent_log().find("stopped from"), std::string::npos) << cluster.parent_log();
}

}  // namespace
}  // namespace trib::test
