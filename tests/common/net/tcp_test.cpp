#include "common/net/tcp.h"

#include <gtest/gtest.h>

#include "support/loop_fixture.h"

namespace trib::net {
namespace {

using test::LoopTest;
using namespace std::chrono_literals;

TEST_F(LoopTest, ConnectSendEchoAndClose) {
  std::unique_ptr<TcpConnection> server_side;
  auto listener = TcpListener::listen(loop_, "127.0.0.1", 0, [&](auto conn) {
    server_side = std::move(conn);
    server_side->start_reading(
        [&](std::string_view bytes) { server_side->write(std::string(bytes)); },
        [&](const Error&) { server_side.reset(); });
  });
  ASSERT_TRUE(listener.ok()) << listener.error().describe();
  std::unique_ptr<TcpConnection> client;
  std::string echoed;
  auto attempt = TcpConnect::start(loop_, "127.0.0.1", (*listener)->port(), 5s, [&](auto result) {
    ASSERT_TRUE(result.ok()) << result.error().describe();
    client = std::move(result).value();
    EXPECT_EQ(client->peer_address(), "127.0.0.1");
    client->start_reading([&](std::string_view bytes) { echoed += bytes; }, [](const Error&) {});
    client->write("hello");
  });
  run_until([&] { return echoed == "hello"; });
  client.reset();  // server sees EOF and drops its side
  run_until([&] { return server_side == nullptr; });
  attempt.reset();
  listener->reset();
}

TEST_F(LoopTest, WriteNowSendsAtOnceOrQueuesTheRestInOrder) {
  std::unique_ptr<TcpConnection> server_side;
  std::string received;
  auto listener = TcpListener::listen(loop_, "127.0.0.1", 0, [&](auto conn) {
    server_side = std::move(conn);
    server_side->start_reading([&](std::string_view bytes) { received += bytes; },
                               [](const Error&) {});
    server_side->pause_reading();  // let the client's socket buffers fill
  });
  ASSERT_TRUE(listener.ok()) << listener.error().describe();
  std::unique_ptr<TcpConnection> client;
  auto attempt = TcpConnect::start(loop_, "127.0.0.1", (*listener)->port(), 5s, [&](auto result) {
    ASSERT_TRUE(result.ok()) << result.error().describe();
    client = std::move(result).value();
  });
  run_until([&] { return client != nullptr && server_side != nullptr; });

  int done_calls = 0;
  const TcpConnection::WriteDone done = [&](const Status& status) {
    EXPECT_TRUE(status.ok());
    ++done_calls;
  };
  EXPECT_TRUE(client->write_now("small", done));  // taken at once: no callback
  // More than the kernel buffers hold while nobody reads: the rest is copied and queued, and
  // what follows queues behind it, so the bytes arrive in order.
  std::string buffer(16 * 1024 * 1024, 'x');
  for (size_t i = 0; i < buffer.size(); i += 4096) buffer[i] = static_cast<char>('a' + i % 26);
  const std::string expected = "small" + buffer + "tail";
  EXPECT_FALSE(client->write_now(buffer, done));
  buffer.assign(buffer.size(), '!');  // the caller may reuse its buffer at once
  EXPECT_FALSE(client->write_now("tail", done));
  EXPECT_EQ(done_calls, 0);
  server_side->resume_reading();
  run_until([&] { return received.size() >= expected.size() && done_calls == 2; });
  EXPECT_TRUE(received == expected);
  EXPECT_EQ(client->bytes_sent(), expected.size());
  client.reset();
  server_side.reset();
  attempt.reset();
  listener->reset();
}

TEST_F(LoopTest, ConnectRefusedReportsError) {
  // Bind then drop a listener to find a port nobody listens on.
  uint16_t port = 0;
  {
    auto l = TcpListener::listen(loop_, "127.0.0.1", 0, [](auto) {});
    ASSERT_TRUE(l.ok());
    port = (*l)->port();
  }
  bool failed = false;
  auto attempt = TcpConnect::start(loop_, "127.0.0.1", port, 5s, [&](auto result) {
    EXPECT_FALSE(result.ok());
    failed = true;
  });
  run_until([&] { return failed; });
}

TEST_F(LoopTest, AConnectThatFailsAtOnceStillCallsBackLater) {
  // connect() to the broadcast address fails inside the system call (no packet is sent).
  bool called = false;
  bool returned = false;
  auto attempt = TcpConnect::start(loop_, "255.255.255.255", 9, 5s, [&](auto result) {
    EXPECT_FALSE(result.ok());
    EXPECT_TRUE(returned) << "callback ran inside start()";
    called = true;
  });
  returned = true;
  run_until([&] { return called; });
}

TEST_F(LoopTest, CancelledConnectNeverCallsBack) {
  auto attempt = TcpConnect::start(loop_, "localhost", 9, 5s,
                                   [&](auto) { ADD_FAILURE() << "callback after cancel"; });
  attempt.reset();
  event::Timer settle(loop_);
  bool settled = false;
  settle.start(50ms, 0ms, [&] { settled = true; });
  run_until([&] { return settled; });
}

TEST_F(LoopTest, AListenerWithACapClosesConnectionsBeyondItUntilOneEnds) {
  std::vector<std::unique_ptr<TcpConnection>> accepted;
  auto listener = TcpListener::listen(
      loop_, "127.0.0.1", 0, [&](auto conn) { accepted.push_back(std::move(conn)); },
      ListenerLimits{2, "test"});
  ASSERT_TRUE(listener.ok()) << listener.error().describe();
  const uint16_t port = (*listener)->port();
  // Clients that remember whether the server closed them.
  struct Client {
    std::unique_ptr<TcpConnect> attempt;
    std::unique_ptr<TcpConnection> connection;
    bool closed = false;
  };
  std::vector<std::unique_ptr<Client>> clients;
  auto connect = [&] {
    auto client = std::make_unique<Client>();
    Client* c = client.get();
    c->attempt = TcpConnect::start(loop_, "127.0.0.1", port, 5s, [c](auto result) {
      ASSERT_TRUE(result.ok()) << result.error().describe();
      c->connection = std::move(result).value();
      c->connection->start_reading([](std::string_view) {},
                                   [c](const Error&) { c->closed = true; });
    });
    clients.push_back(std::move(client));
    return c;
  };
  connect();
  connect();
  run_until([&] { return accepted.size() == 2; });
  EXPECT_EQ((*listener)->open_connections(), 2u);
  Client* third = connect();
  run_until([&] { return third->closed; });
  EXPECT_EQ((*listener)->refused_connections(), 1u);
  EXPECT_EQ(accepted.size(), 2u);
  accepted.erase(accepted.begin());  // one ends: room for the next
  EXPECT_EQ((*listener)->open_connections(), 1u);
  Client* fourth = connect();
  run_until([&] { return accepted.size() == 2; });
  EXPECT_FALSE(fourth->closed);
  EXPECT_EQ((*listener)->open_connections(), 2u);
  clients.clear();
  accepted.clear();
  listener->reset();
}

TEST(ParseHostPortTest, Forms) {
  auto a = parse_host_port("example.org:1234", 19999);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "example.org");
  EXPECT_EQ(a->port, 1234);
  auto b = parse_host_port("[::1]:80", 19999);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->host, "::1");
  EXPECT_EQ(b->port, 80);
  auto c = parse_host_port("10.0.0.1", 19999);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->port, 19999);
  EXPECT_FALSE(parse_host_port("host:0", 1).ok());
  EXPECT_FALSE(parse_host_port("host:99999", 1).ok());
  EXPECT_FALSE(parse_host_port(":80", 1).ok());
  EXPECT_FALSE(parse_host_port("[::1", 1).ok());
}

}  // namespace
}  // namespace trib::net
