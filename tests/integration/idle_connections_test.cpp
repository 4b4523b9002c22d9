// A thousand connections that never send anything (or stop halfway through a request) must not
// keep a real agent out, with TLS on the port or without; and the cap on open connections.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

#include "integration/cluster.h"
#include "support/test_certs.h"

namespace trib::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kAgentGuid = "1d1e1d1e-4e5f-6789-abcd-ef0123456789";
constexpr int kIdle = 1000;

// Opens `count` connections to 127.0.0.1:port; with `slowloris`, every third one sends the start
// of a STREAM request and stops, the others send nothing.
std::vector<int> open_idle(uint16_t port, int count, bool slowloris = true) {
  std::vector<int> fds;
  sockaddr_in target{};
  target.sin_family = AF_INET;
  target.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &target.sin_addr);
  for (int i = 0; i < count; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) break;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&target), sizeof(target)) != 0) {
      ::close(fd);
      break;
    }
    if (slowloris && i % 3 == 0) (void)::send(fd, "STREAM key=", 11, MSG_NOSIGNAL);
    fds.push_back(fd);
  }
  return fds;
}

class IdleConnections : public ::testing::TestWithParam<bool> {};

TEST_P(IdleConnections, DoNotKeepAnAgentOut) {
  const bool tls = GetParam();
  TempDir cert_dir;
  const TestCerts certs(cert_dir.path());
  Cluster cluster;
  if (tls) {
    cluster.write_parent_yaml("tls:\n  certificate: " + certs.server.cert +
                              "\n  key: " + certs.server.key + "\n");
  }
  cluster.start_parent();
  const std::vector<int> idle = open_idle(cluster.port(), kIdle);
  EXPECT_EQ(idle.size(), static_cast<size_t>(kIdle));
  cluster.set_agent_guid("agent", kAgentGuid);
  auto agent = cluster.start_agent("agent");
  EXPECT_TRUE(eventually([&] { return cluster.reachable(kAgentGuid); }, 5s))
      << cluster.agent_log("agent");
  EXPECT_EQ(http_get(cluster.port(), "/api/v1/info").status, 200);
  // Beyond 512 silent connections the parent closes the oldest (and says so).
  EXPECT_NE(cluster.parent_log().find("connections have sent nothing yet; closing the oldest"),
            std::string::npos)
      << cluster.parent_log();
  for (const int fd : idle) ::close(fd);
  EXPECT_TRUE(cluster.parent().running());
}

INSTANTIATE_TEST_SUITE_P(PlaintextAndTls, IdleConnections, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Tls" : "Plaintext"; });

// parent.yaml max_connections caps each listening port: connections beyond it are closed at
// accept (the client sees the close at once), with a log line; once some end, others get in.
TEST(ConnectionCap, ConnectionsBeyondTheCapAreClosedAtAcceptOnEachPort) {
  constexpr int kCap = 40;
  Cluster cluster;
  cluster.write_parent_yaml("max_connections: " + std::to_string(kCap) + "\n");
  cluster.start_parent();
  for (const uint16_t port : {cluster.port(), cluster.heartbeat_port()}) {
    std::vector<int> held = open_idle(port, kCap, false);
    ASSERT_EQ(held.size(), static_cast<size_t>(kCap));
    EXPECT_TRUE(eventually([&] {
      return raw_exchange(port, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n", 1s).empty();
    })) << "port "
        << port << " still answers beyond the cap";
    for (const int fd : held) ::close(fd);
    EXPECT_TRUE(eventually([&] {
      return raw_exchange(port, "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 1s)
                 .rfind("HTTP/1.1 ", 0) == 0;
    })) << "port "
        << port << " refuses below the cap";
  }
  const std::string log = cluster.parent_log();
  EXPECT_NE(log.find("[listener API and streams"), std::string::npos) << log;
  EXPECT_NE(log.find("[listener heartbeats"), std::string::npos) << log;
  EXPECT_NE(log.find("connections open, the cap (max_connections)"), std::string::npos) << log;
  EXPECT_TRUE(cluster.parent().running());
}

}  // namespace
}  // namespace trib::test
