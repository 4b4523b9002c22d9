// The fleet control plane through the real parent binary: heartbeats on the heartbeat port,
// the fleet API and Telegraf's way of fetching and watching a config on the main port, and two
// parents sharing one PostgreSQL.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "integration/cluster.h"
#include "support/postgres_server.h"

namespace trib::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

struct Reply {
  int status = 0;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
};

// One request on its own connection (Connection: close), as Telegraf's Go client may do.
Reply request(uint16_t port, const std::string& method, const std::string& target,
              const std::string& body = "", const std::string& extra_headers = "") {
  const std::string raw =
      raw_exchange(port, method + " " + target +
                             " HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: Telegraf/1.39.0 "
                             "Go/1.25.1\r\nConnection: close\r\nContent-Length: " +
                             std::to_string(body.size()) + "\r\n" + extra_headers + "\r\n" + body);
  Reply reply;
  const size_t head_end = raw.find("\r\n\r\n");
  if (raw.size() < 12 || head_end == std::string::npos) return reply;
  reply.status = std::stoi(raw.substr(9, 3));
  size_t line = raw.find("\r\n") + 2;
  while (line < head_end) {
    const size_t end = raw.find("\r\n", line);
    const std::string field = raw.substr(line, end - line);
    const size_t colon = field.find(':');
    std::string name = field.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    reply.headers[name] = field.substr(field.find_first_not_of(' ', colon + 1));
    line = end + 2;
  }
  reply.body = raw.substr(head_end + 4);
  return reply;
}

std::string fixture(const std::string& name) {
  return read_file(std::string(TRIB_TEST_FIXTURES) + "/heartbeats/" + name);
}

const std::string kAdmin = "Authorization: Bearer admin-secret\r\n";

void start_parent(Cluster& cluster, const std::string& fleet_yaml = "") {
  write_file(cluster.dir() / "parent/etc/parent.yaml",
             "fleet:\n  admin_token: admin-secret\n  scheduler_interval: 200ms\n" + fleet_yaml);
  cluster.start_parent();
}

TEST(FleetIntegration, TelegrafHeartbeatsAndConfigsThroughTheParent) {
  Cluster cluster;
  start_parent(cluster);
  for (const char* name : {"minimal.json", "controller.json", "after_failure.json"}) {
    const Reply stored = request(cluster.heartbeat_port(), "POST", "/agents/heartbeat",
                                 fixture(name), "Content-Type: application/json\r\n");
    EXPECT_EQ(stored.status, 200) << name << ": " << stored.body;
  }
  const json agents = json::parse(request(cluster.port(), "GET", "/api/agents").body);
  EXPECT_EQ(agents["total"], 3);
  EXPECT_EQ(json::parse(request(cluster.port(), "GET", "/api/agents/summary").body)["fail"], 1);
  EXPECT_EQ(request(cluster.port(), "DELETE", "/api/agents/web-01").status, 401);
  EXPECT_EQ(request(cluster.port(), "DELETE", "/api/agents/web-01", "", kAdmin).status, 204);

  const std::string v1 =
      "[agent]\n  interval = \"10s\"\n[[inputs.cpu]]\n[[outputs.heartbeat]]\n"
      "  instance_id = \"&{agent_id}\"\n";
  const Reply created = request(cluster.port(), "POST", "/api/configs",
                                json{{"name", "edge"}, {"toml", v1}}.dump(), kAdmin);
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string url = "/api/configs/" + json::parse(created.body)["id"].get<std::string>() +
                          "/toml?agent_id=edge-gw-17";

  // Telegraf: GET at start-up, then HEAD every watch interval, comparing Last-Modified.
  const std::string accept = "Accept: application/toml\r\n";
  const Reply first = request(cluster.port(), "GET", url, "", accept);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(first.headers.at("content-type"), "text/x-toml; charset=utf-8");
  EXPECT_NE(first.body.find("instance_id = \"edge-gw-17\""), std::string::npos);
  const std::string baseline = request(cluster.port(), "HEAD", url).headers.at("last-modified");
  EXPECT_EQ(baseline, first.headers.at("last-modified"));
  const Reply unchanged = request(cluster.port(), "HEAD", url);
  EXPECT_EQ(unchanged.headers.at("last-modified"), baseline);
  EXPECT_TRUE(unchanged.body.empty());

  const std::string v2 = v1 + "[[inputs.mem]]\n";
  ASSERT_EQ(request(cluster.port(), "PUT", url.substr(0, url.find("/toml")),
                    json{{"toml", v2}}.dump(), kAdmin)
                .status,
            200);
  const std::string changed = request(cluster.port(), "HEAD", url).headers.at("last-modified");
  EXPECT_NE(changed, baseline);                                            // the watcher reloads...
  const Reply reloaded = request(cluster.port(), "GET", url, "", accept);  // ...and re-GETs
  ASSERT_EQ(reloaded.status, 200);
  EXPECT_NE(reloaded.body.find("[[inputs.mem]]"), std::string::npos);
  EXPECT_EQ(reloaded.headers.at("last-modified"), changed);
}

// The agent's record in GET /api/agents, if listed.
std::optional<json> listed_agent(Cluster& cluster, const std::string& id) {
  const Reply listing = request(cluster.port(), "GET", "/api/agents?pageSize=100");
  if (listing.status != 200) return std::nullopt;
  const json listed = json::parse(listing.body, nullptr, false);
  if (!listed.is_object()) return std::nullopt;
  for (const auto& agent : listed["agents"]) {
    if (agent["id"] == id) return agent;
  }
  return std::nullopt;
}

std::string status_of(Cluster& cluster, const std::string& id) {
  const auto agent = listed_agent(cluster, id);
  return agent ? agent->value("status", "") : "absent";
}

// A real tributary-agent and a Telegraf (its heartbeat posted as curl would) in one fleet view;
// with a 1 s x 2 reporting rule, the agent stays ok while it runs, the Telegraf that went quiet
// and then the stopped agent become not_reporting.
TEST(FleetIntegration, AnAgentAndATelegrafShareTheFleetAndGoQuietWhenStopped) {
  Cluster cluster;
  start_parent(cluster);
  const Reply rule = request(cluster.port(), "PUT", "/api/reporting-rules/default",
                             R"({"heartbeatIntervalSeconds":1,"thresholdMultiplier":2})", kAdmin);
  ASSERT_EQ(rule.status, 200) << rule.body;
  const std::string hb_url =
      "http://127.0.0.1:" + std::to_string(cluster.heartbeat_port()) + "/agents/heartbeat";
  const std::string guid = "5e1f0a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b";
  cluster.set_agent_guid("alpha", guid);
  auto agent = cluster.start_agent(
      "alpha", kApiKey, "hostname: alpha\nheartbeat:\n  url: " + hb_url + "\n  interval: 1s\n");
  const Reply telegraf = request(cluster.heartbeat_port(), "POST", "/agents/heartbeat",
                                 fixture("controller.json"), "Content-Type: application/json\r\n");
  ASSERT_EQ(telegraf.status, 200) << telegraf.body;
  const std::string telegraf_id = json::parse(fixture("controller.json"))["id"];

  std::optional<json> alpha;
  ASSERT_TRUE(eventually([&] {
    alpha = listed_agent(cluster, guid);
    return alpha && (*alpha)["statistics"].value("metrics", 0) > 0;
  })) << cluster.agent_log("alpha")
      << request(cluster.port(), "GET", "/api/agents").body;
  EXPECT_EQ((*alpha)["hostname"], "alpha");
  EXPECT_EQ((*alpha)["versionString"].get<std::string>().rfind("Tributary ", 0), 0u) << *alpha;
  EXPECT_EQ((*alpha)["ipAddress"], "127.0.0.1");
  EXPECT_EQ((*alpha)["status"], "ok");
  EXPECT_TRUE(listed_agent(cluster, telegraf_id).has_value());

  // The Telegraf sent one heartbeat: past 2 s it is not reporting; the agent keeps reporting.
  EXPECT_TRUE(eventually([&] { return status_of(cluster, telegraf_id) == "not_reporting"; }));
  EXPECT_EQ(status_of(cluster, guid), "ok") << cluster.agent_log("alpha");
  const json summary = json::parse(request(cluster.port(), "GET", "/api/agents/summary").body);
  EXPECT_EQ(summary["notReporting"], 1) << summary;

  EXPECT_EQ(agent->stop(), 0);
  EXPECT_TRUE(eventually([&] { return status_of(cluster, guid) == "not_reporting"; }))
      << status_of(cluster, guid);
}

TEST(FleetIntegration, TwoParentsShareOnePostgres) {
  auto& server = PostgresServer::shared();
  if (!server.started()) GTEST_SKIP() << "\n*** PostgreSQL tests SKIPPED: " << server.why();
  const std::string url = server.create_database();
  ASSERT_FALSE(url.empty()) << server.why();
  Cluster a;
  Cluster b;
  start_parent(a, "  database: " + url + "\n");
  start_parent(b, "  database: " + url + "\n");
  EXPECT_EQ(
      request(a.heartbeat_port(), "POST", "/agents/heartbeat", fixture("minimal.json")).status,
      200);
  EXPECT_EQ(request(b.heartbeat_port(), "POST", "/heartbeat", fixture("controller.json")).status,
            200);
  for (Cluster* parent : {&a, &b}) {
    const json agents = json::parse(request(parent->port(), "GET", "/api/agents").body);
    EXPECT_EQ(agents["total"], 2);
  }
  // Exactly one of them holds the scheduler's advisory lock.
  const std::string runs = "this parent runs the scheduler";
  const std::string other = "another parent runs the scheduler";
  ASSERT_TRUE(eventually([&] {
    const std::string logs = a.parent_log() + b.parent_log();
    return logs.find(runs) != std::string::npos && logs.find(other) != std::string::npos;
  }));
  EXPECT_EQ(count_of(a.parent_log() + b.parent_log(), runs), 1u);
}

}  // namespace
}  // namespace trib::test
