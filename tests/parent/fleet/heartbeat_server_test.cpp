#include "parent/fleet/heartbeat_server.h"

#include <gtest/gtest.h>

#include <future>
#include <nlohmann/json.hpp>

#include "common/http/client.h"
#include "common/time/clock.h"
#include "parent/fleet/fleet_test_support.h"
#include "support/loop_fixture.h"
#include "support/test_certs.h"

namespace trib::parent::fleet {
namespace {

using namespace std::chrono_literals;

class HeartbeatServerTest : public test::LoopTest {
 protected:
  void start(const std::string& token = "", net::TlsMode tls_mode = net::TlsMode::off) {
    FleetServiceOptions options;
    options.data_dir = dir_.path();
    options.scheduler_interval = 3600s;  // passes are triggered by the test
    auto fleet = FleetService::start(options, clock_);
    ASSERT_TRUE(fleet.ok()) << fleet.error().describe();
    fleet_ = std::move(fleet).value();
    HeartbeatServerOptions server_options;
    server_options.bind = "127.0.0.1";
    server_options.port = 0;
    server_options.token = token;
    server_options.tls_mode = tls_mode;
    if (tls_mode != net::TlsMode::off) {
      auto context = net::TlsContext::server({certs().server.cert, certs().server.key, ""});
      ASSERT_TRUE(context.ok()) << context.error().describe();
      server_options.tls_context = std::move(context).value();
    }
    auto server = HeartbeatServer::start(server_options, *fleet_);
    ASSERT_TRUE(server.ok()) << server.error().describe();
    server_ = std::move(server).value();
  }
  void TearDown() override {
    server_.reset();
    fleet_.reset();
    LoopTest::TearDown();
  }

  static const test::TestCerts& certs() {
    static test::TempDir dir;
    static test::TestCerts made(dir.path());
    return made;
  }

  // POSTs `body` and runs the loop until the answer arrived.
  http::FetchResponse post(const std::string& body, const std::string& path = "/agents/heartbeat",
                           const std::string& authorization = "", bool https = false) {
    http::FetchRequest request;
    request.method = "POST";
    request.url = std::string(https ? "https" : "http") +
                  "://127.0.0.1:" + std::to_string(server_->port()) + path;
    if (https) {
      net::TlsClientOptions tls;
      tls.ca_file = certs().ca_file;
      request.tls = *net::TlsContext::client(tls);
    }
    request.headers.set("Content-Type", "application/json");
    if (!authorization.empty()) request.headers.set("Authorization", authorization);
    request.body = body;
    std::optional<Result<http::FetchResponse>> answer;
    auto handle = http::fetch(loop_, request, [&](auto r) { answer = std::move(r); });
    run_until([&] { return answer.has_value(); });
    EXPECT_TRUE(answer && answer->ok())
        << (answer && !answer->ok() ? answer->error().describe() : "");
    return answer && answer->ok() ? std::move(*answer).value() : http::FetchResponse{};
  }

  // Runs `fn` on the fleet thread and waits for it.
  template <class F>
  auto on_fleet(F fn) {
    std::promise<decltype(fn(std::declval<FleetRegistry&>()))> done;
    fleet_->post(
        [&](FleetRegistry& registry, const time::Clock&) { done.set_value(fn(registry)); });
    return done.get_future().get();
  }

  test::TempDir dir_;
  time::ManualClock clock_{1'800'000'000};
  std::unique_ptr<FleetService> fleet_;
  std::unique_ptr<HeartbeatServer> server_;
};

TEST_F(HeartbeatServerTest, StoresTheThreeTelegrafShapesOnBothPaths) {
  start();
  EXPECT_EQ(post(heartbeat_fixture("minimal.json")).status, 200);
  EXPECT_EQ(post(heartbeat_fixture("controller.json"), "/heartbeat").status, 200);
  const auto answer = post(heartbeat_fixture("after_failure.json"));
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.body, R"({"status":"ok"})");
  const auto summary = on_fleet([](FleetRegistry& r) { return *r.summary(); });
  EXPECT_EQ(summary.total, 3);
  EXPECT_EQ(summary.fail, 1);
  const auto agent = on_fleet([](FleetRegistry& r) { return **r.find_agent("db-03"); });
  EXPECT_EQ(agent.address, "127.0.0.1");
  EXPECT_EQ(server_->stats().stored, 3u);
}

TEST_F(HeartbeatServerTest, BadMessagesGet400WithAReasonAndOtherMethods405) {
  start();
  const auto bad = post(R"({"id":"","version":"x"})");
  EXPECT_EQ(bad.status, 400);
  const auto reason = nlohmann::json::parse(bad.body);
  EXPECT_EQ(reason["error"], "invalid heartbeat");
  EXPECT_EQ(reason["detail"], "`id` is empty");
  EXPECT_EQ(post("[]").status, 400);
  EXPECT_EQ(post(R"({"id":"a"})").status, 400);
  EXPECT_EQ(post(R"({"id":"a","version":"v","schema":2})").status, 200);
  EXPECT_EQ(post("{}", "/elsewhere").status, 404);
  EXPECT_EQ(on_fleet([](FleetRegistry& r) { return r.summary()->total; }), 1);
}

TEST_F(HeartbeatServerTest, TokensAsBearerOrToken) {
  start("hb-secret");
  const std::string body = heartbeat_fixture("minimal.json");
  const auto missing = post(body);
  EXPECT_EQ(missing.status, 401);
  EXPECT_NE(missing.body.find("Missing or invalid Authorization header"), std::string::npos);
  EXPECT_EQ(post(body, "/agents/heartbeat", "Bearer wrong").status, 401);
  EXPECT_EQ(post(body, "/agents/heartbeat", "Bearer hb-secret").status, 200);
  EXPECT_EQ(post(body, "/agents/heartbeat", "Token hb-secret").status, 200);
}

TEST_F(HeartbeatServerTest, ForcedTlsTakesHttpsAndRefusesPlaintextWithAReason) {
  start("", net::TlsMode::force);
  EXPECT_EQ(server_->tls_mode(), net::TlsMode::force);
  const std::string body = heartbeat_fixture("minimal.json");
  EXPECT_EQ(post(body, "/agents/heartbeat", "", true).status, 200);
  const auto plaintext = post(body);
  EXPECT_EQ(plaintext.status, 400);
  EXPECT_EQ(nlohmann::json::parse(plaintext.body)["error"], "tls_required") << plaintext.body;
  ASSERT_NE(plaintext.headers.get("Connection"), nullptr);
  EXPECT_EQ(*plaintext.headers.get("Connection"), "close");
  EXPECT_EQ(server_->stats().stored, 1u);
}

TEST_F(HeartbeatServerTest, OptionalTlsTakesBothOnOnePort) {
  start("", net::TlsMode::optional);
  EXPECT_EQ(post(heartbeat_fixture("minimal.json"), "/agents/heartbeat", "", true).status, 200);
  EXPECT_EQ(post(heartbeat_fixture("controller.json")).status, 200);
  EXPECT_EQ(server_->stats().stored, 2u);
}

TEST_F(HeartbeatServerTest, ConcurrentHeartbeatsShareCommits) {
  start();
  constexpr int kClients = 100;
  std::vector<http::FetchHandle> handles;
  int answered = 0;
  int ok = 0;
  for (int i = 0; i < kClients; ++i) {
    http::FetchRequest request;
    request.method = "POST";
    request.url = "http://127.0.0.1:" + std::to_string(server_->port()) + "/agents/heartbeat";
    request.body = R"({"id":"agent-)" + std::to_string(i) + R"(","version":"Telegraf 1.38.2"})";
    handles.push_back(http::fetch(loop_, request, [&](Result<http::FetchResponse> r) {
      ++answered;
      ok += r.ok() && r->status == 200 ? 1 : 0;
    }));
  }
  run_until([&] { return answered == kClients; });
  EXPECT_EQ(ok, kClients);
  const auto stats = server_->stats();
  EXPECT_EQ(stats.stored, static_cast<uint64_t>(kClients));
  EXPECT_LT(stats.commits, static_cast<uint64_t>(kClients));  // grouped
  EXPECT_EQ(on_fleet([](FleetRegistry& r) { return r.summary()->total; }), kClients);
}

TEST_F(HeartbeatServerTest, SchedulerPassesFollowTheInjectedClock) {
  start();
  EXPECT_EQ(post(heartbeat_fixture("minimal.json")).status, 200);
  auto pass = [&] {
    std::promise<ScheduleReport> done;
    fleet_->run_scheduler_now([&](const Result<ScheduleReport>& r) { done.set_value(*r); });
    return done.get_future().get();
  };
  clock_.advance_s(180);
  EXPECT_EQ(pass().marked_not_reporting, 0);
  clock_.advance_s(1);
  EXPECT_EQ(pass().marked_not_reporting, 1);
  EXPECT_EQ(post(heartbeat_fixture("minimal.json")).status, 200);
  EXPECT_EQ(on_fleet([](FleetRegistry& r) { return (*r.find_agent("web-01"))->status; }), "ok");
}

}  // namespace
}  // namespace trib::parent::fleet
