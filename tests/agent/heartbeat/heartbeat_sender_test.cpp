#include "agent/heartbeat/heartbeat_sender.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/http/server.h"
#include "common/net/tcp.h"
#include "common/net/tls_acceptor.h"
#include "support/loop_fixture.h"
#include "support/process.h"
#include "support/test_certs.h"

namespace trib::agent {
namespace {

using namespace std::chrono_literals;

TEST(HeartbeatUrl, DefaultsToPort8000OfTheFirstDestination) {
  EXPECT_EQ(default_heartbeat_url({}), "");
  std::vector<config::Destination> destinations(2);
  destinations[0].host = "parent.example.net";
  destinations[0].port = 19999;
  destinations[1].host = "backup";
  EXPECT_EQ(default_heartbeat_url(destinations), "http://parent.example.net:8000/agents/heartbeat");
  destinations[0].host = "fd00::1";
  destinations[0].ssl = true;
  EXPECT_EQ(default_heartbeat_url(destinations), "https://[fd00::1]:8000/agents/heartbeat");
}

TEST(HeartbeatBody, IsTelegrafSchemaOne) {
  HeartbeatTarget target;
  target.id = "11111111-2222-4333-8444-555555555555";
  target.hostname = "web-01";
  target.version = "Tributary 0.1.0";
  const auto body = nlohmann::json::parse(heartbeat_body(target, 42, std::nullopt));
  EXPECT_EQ(body["id"], target.id);
  EXPECT_EQ(body["version"], "Tributary 0.1.0");
  EXPECT_EQ(body["schema"], 1);
  EXPECT_EQ(body["hostname"], "web-01");
  EXPECT_EQ(body["statistics"]["metrics"], 42);
  EXPECT_FALSE(body.contains("last"));
  EXPECT_EQ(nlohmann::json::parse(heartbeat_body(target, 0, 1766053800))["last"], 1766053800);
}

// A heartbeat server stand-in: answers `status` and records every body.
class HeartbeatSenderTest : public test::LoopTest {
 protected:
  void SetUp() override {
    server_ = std::make_unique<http::HttpServer>(loop_);
    server_->set_handler([this](http::HttpRequest&& request, http::Responder responder) {
      bodies_.push_back(nlohmann::json::parse(request.body));
      authorization_ = request.header("Authorization") ? *request.header("Authorization") : "";
      responder.respond(http::HttpResponse::json(status_, "{}"));
    });
    auto listener = net::TcpListener::listen(
        loop_, "127.0.0.1", 0, [this](auto conn) { server_->adopt(std::move(conn)); });
    ASSERT_TRUE(listener.ok());
    listener_ = std::move(listener).value();
  }
  void TearDown() override {
    sender_.reset();
    listener_.reset();
    server_.reset();
    LoopTest::TearDown();
  }

  std::unique_ptr<http::HttpServer> server_;
  std::unique_ptr<net::TcpListener> listener_;
  std::unique_ptr<HeartbeatSender> sender_;
  std::vector<nlohmann::json> bodies_;
  std::string authorization_;
  int status_ = 200;
};

TEST_F(HeartbeatSenderTest, CountsMetricsSinceTheLastAcknowledgedHeartbeat) {
  HeartbeatTarget target;
  target.url = "http://127.0.0.1:" + std::to_string(listener_->port()) + "/agents/heartbeat";
  target.interval = 20ms;
  target.token = "hb";
  target.id = "guid";
  sender_ = std::make_unique<HeartbeatSender>(loop_, target);
  sender_->count_metrics(10);
  status_ = 500;
  sender_->start();
  run_until([&] { return bodies_.size() == 1; });
  EXPECT_EQ(authorization_, "Bearer hb");
  EXPECT_EQ(bodies_[0]["statistics"]["metrics"], 10);
  EXPECT_FALSE(bodies_[0].contains("last"));
  run_until([&] { return bodies_.size() == 2; });
  EXPECT_TRUE(bodies_[1].contains("last"));  // after an error status
  status_ = 200;
  run_until([&] { return sender_->acknowledged() == 1; });
  sender_->count_metrics(5);
  // The acknowledged 10 are gone: the next counts are 5 (15 would never match).
  run_until([&] { return bodies_.back()["statistics"]["metrics"] == 5; });
  EXPECT_FALSE(bodies_.back().contains("last"));
}

// The same server behind TLS (as the parent's heartbeat port with a certificate): the sender
// verifies it with stream.conf's CAfile, and a retarget (a reload) switches URL and CA.
TEST_F(HeartbeatSenderTest, RetargetsToHttpsVerifiedWithTheStreamCa) {
  test::TempDir dir;
  const test::TestCerts certs(dir.path());
  auto context = net::TlsContext::server({certs.server.cert, certs.server.key, ""});
  ASSERT_TRUE(context.ok()) << context.error().describe();
  net::TlsAcceptor::Handlers handlers;
  handlers.ready = [this](std::unique_ptr<net::TcpConnection> c, std::string read) {
    server_->adopt(std::move(c), std::move(read));
  };
  net::TlsAcceptor acceptor(loop_, net::TlsMode::force, *context, 5s, 16, std::move(handlers));
  auto tls_listener = net::TcpListener::listen(
      loop_, "127.0.0.1", 0, [&acceptor](auto conn) { acceptor.adopt(std::move(conn)); });
  ASSERT_TRUE(tls_listener.ok());

  HeartbeatTarget target;
  target.url = "http://127.0.0.1:" + std::to_string(listener_->port()) + "/agents/heartbeat";
  target.interval = 20ms;
  target.id = "guid";
  sender_ = std::make_unique<HeartbeatSender>(loop_, target);
  sender_->start();
  run_until([&] { return sender_->acknowledged() == 1; });

  target.url = "https://127.0.0.1:" + std::to_string((*tls_listener)->port()) + "/agents/heartbeat";
  target.tls.ca_file = certs.other_ca_file;  // the wrong CA: nothing is delivered
  sender_->retarget(target);
  const size_t before = bodies_.size();
  event::Timer wait(loop_);
  bool waited = false;
  wait.start(200ms, 0ms, [&] { waited = true; });
  run_until([&] { return waited; });
  EXPECT_EQ(bodies_.size(), before);
  EXPECT_GE(acceptor.handshakes_failed(), 1u);

  target.tls.ca_file = certs.ca_file;
  sender_->retarget(target);
  const uint64_t acknowledged = sender_->acknowledged();
  run_until([&] { return sender_->acknowledged() > acknowledged; });
  EXPECT_EQ(bodies_.back()["id"], "guid");
  sender_.reset();
  tls_listener->reset();
  acceptor.close_all();
}

}  // namespace
}  // namespace trib::agent
