// The parent's stream access log: one line per STREAM connection when it ends, with peer, TLS
// or plaintext, hostname, machine GUID, the key masked, the outcome and why, duration and bytes;
// and the hint for one GUID arriving from two addresses (a cloned image).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <array>

#include "integration/cluster.h"

namespace trib::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kAgentGuid = "5a1b2c3d-4e5f-6789-abcd-ef0123456789";
constexpr const char* kOtherKey = "99999999-8888-7777-6666-555555555555";

// Sends `bytes` to 127.0.0.1:port from the source address `from` (any 127/8 address is
// loopback on Linux) and reads until the peer closes or 2 s pass.
std::string exchange_from(const char* from, uint16_t port, const std::string& bytes) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in source{};
  source.sin_family = AF_INET;
  ::inet_pton(AF_INET, from, &source.sin_addr);
  sockaddr_in target{};
  target.sin_family = AF_INET;
  target.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &target.sin_addr);
  std::string out;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&source), sizeof(source)) == 0 &&
      ::connect(fd, reinterpret_cast<sockaddr*>(&target), sizeof(target)) == 0) {
    (void)::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    std::array<char, 4096> buffer{};
    for (ssize_t n; (n = ::recv(fd, buffer.data(), buffer.size(), 0)) > 0;) {
      out.append(buffer.data(), static_cast<size_t>(n));
    }
  }
  ::close(fd);
  return out;
}

bool parent_log_has(Cluster& cluster, const std::string& needle) {
  return eventually([&] { return cluster.parent_log().find(needle) != std::string::npos; }, 5s);
}

TEST(AccessLog, OneLinePerStreamWithOutcomeDurationAndBytes) {
  Cluster cluster;
  cluster.start_parent();
  cluster.set_agent_guid("agent", kAgentGuid);
  auto agent = cluster.start_agent("agent");
  ASSERT_TRUE(eventually([&] { return cluster.reachable(kAgentGuid); }, 5s));
  auto stranger = cluster.start_agent("stranger", kOtherKey);
  EXPECT_TRUE(parent_log_has(cluster, "plaintext host 'stranger' machine GUID '"))
      << cluster.parent_log();
  EXPECT_TRUE(parent_log_has(cluster,
                             "API key '99999999-****' REFUSED: ACCESS DENIED - KEY NOT "
                             "ENABLED: API key '99999999-****' is not allowed"))
      << cluster.parent_log();
  agent->stop();
  EXPECT_TRUE(parent_log_has(cluster, std::string("[access] 127.0.0.1:"))) << cluster.parent_log();
  EXPECT_TRUE(parent_log_has(cluster, std::string("plaintext host 'agent' machine GUID '") +
                                          kAgentGuid + "' API key '11111111-****' ACCEPTED: ended"))
      << cluster.parent_log();
  const std::string log = cluster.parent_log();
  const size_t line = log.find("ACCEPTED: ended");
  ASSERT_NE(line, std::string::npos);
  const std::string rest = log.substr(line, log.find('\n', line) - line);
  EXPECT_NE(rest.find(" s, "), std::string::npos) << rest;
  EXPECT_NE(rest.find(" bytes in, "), std::string::npos) << rest;
  EXPECT_EQ(log.find(kApiKey), std::string::npos);
  EXPECT_EQ(log.find(kOtherKey), std::string::npos);
}

TEST(AccessLog, HandshakeGarbageIsLoggedAsRefused) {
  Cluster cluster;
  cluster.start_parent();
  (void)raw_exchange(cluster.port(), "STREAM \x01\x02 HTTP/1.1\r\n\r\n", 2s);
  EXPECT_TRUE(parent_log_has(cluster, "host '-' machine GUID '-' API key '-' REFUSED: "))
      << cluster.parent_log();
}

TEST(AccessLog, OneGuidFromTwoAddressesGetsTheClonedImageHint) {
  Cluster cluster;
  cluster.start_parent();
  cluster.set_agent_guid("agent", kAgentGuid);
  auto agent = cluster.start_agent("agent");
  ASSERT_TRUE(eventually([&] { return cluster.reachable(kAgentGuid); }, 5s));
  const std::string reply =
      exchange_from("127.0.0.2", cluster.port(), tributary_stream_request(kApiKey, kAgentGuid));
  EXPECT_NE(reply.find("REFUSED"), std::string::npos) << reply;
  EXPECT_TRUE(parent_log_has(cluster, "one GUID from two addresses (127.0.0.1 and 127.0.0.2)"))
      << cluster.parent_log();
  EXPECT_TRUE(parent_log_has(cluster, "REFUSED: REJECTED - ALREADY CONNECTED"))
      << cluster.parent_log();
}

}  // namespace
}  // namespace trib::test
