#include "parent/health/notifier.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/http/server.h"
#include "common/net/tcp.h"
#include "common/time/clock.h"
#include "tests/support/loop_fixture.h"

namespace trib::parent::health {
namespace {

// What Netdata's CVE-2023-22496 abused: a streamed hostname that a shell would execute.
constexpr const char* kEvilHostname = "web-1; touch PWNED $(touch PWNED2) `touch PWNED3` 'x\" &|";

Notification sample(const std::string& hostname) {
  Notification n;
  n.entry.unique_id = 42;
  n.entry.alarm_event_id = 3;
  n.entry.alarm.alarm_id = 9;
  n.entry.alarm.hostname = hostname;
  n.entry.alarm.host_guid = "22222222-2222-4222-8222-222222222222";
  n.entry.alarm.name = "cpu_usage";
  n.entry.alarm.chart = "system.cpu";
  n.entry.alarm.family = "cpu";
  n.entry.alarm.units = "%";
  n.entry.alarm.info = "average CPU $(id)";
  n.entry.when = 1'700'000'000;
  n.entry.new_status = AlarmStatus::critical;
  n.entry.old_status = AlarmStatus::warning;
  n.entry.new_value = 97.5;
  n.entry.old_value = 80;
  n.recipients = {"ops@example.com", "oncall"};
  return n;
}

class NotifierTest : public test::LoopTest {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("trib_notifier_test_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    notifier_.reset();
    listener_.reset();
    server_.reset();
    LoopTest::TearDown();
    std::filesystem::remove_all(dir_);
  }

  // A script that writes each argument, then the environment, NUL-terminated, to `out`, and
  // exits with `code`. It runs in dir_, so an injected `touch` would leave files there.
  std::string script(int code, const std::string& extra = "") {
    const auto path = dir_ / "notify.sh";
    std::ofstream(path) << "#!/bin/sh\ncd '" << dir_.string() << "'\n"
                        << "for a in \"$@\"; do printf '%s\\0' \"$a\"; done > args.out\n"
                        << "env > env.out\n"
                        << extra << "exit " << code << "\n";
    ::chmod(path.c_str(), 0755);
    return path.string();
  }

  std::vector<std::string> read_args() {
    std::ifstream in(dir_ / "args.out", std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    std::vector<std::string> out;
    std::string item;
    for (char c : buffer.str()) {
      if (c == '\0') {
        out.push_back(item);
        item.clear();
      } else {
        item += c;
      }
    }
    return out;
  }

  void make(NotificationOptions options) {
    notifier_ = std::make_unique<Notifier>(loop_, clock_, std::move(options));
  }

  std::filesystem::path dir_;
  time::ManualClock clock_;
  std::unique_ptr<Notifier> notifier_;
  std::unique_ptr<http::HttpServer> server_;
  std::unique_ptr<net::TcpListener> listener_;
};

TEST_F(NotifierTest, AHostnameWithShellMetacharactersIsOneInertArgument) {
  NotificationOptions options;
  options.exec = script(0);
  make(options);
  notifier_->notify(sample(kEvilHostname));
  run_until([&] { return notifier_->log().size() == 1; });
  ASSERT_TRUE(notifier_->log()[0].ok) << notifier_->log()[0].detail;
  EXPECT_EQ(notifier_->log()[0].detail, "exit 0");

  const auto args = read_args();
  ASSERT_EQ(args.size(), 20u);
  EXPECT_EQ(args[0], "ops@example.com,oncall");
  EXPECT_EQ(args[1], kEvilHostname);
  EXPECT_EQ(args[2], "42");
  EXPECT_EQ(args[6], "cpu_usage");
  EXPECT_EQ(args[7], "system.cpu");
  EXPECT_EQ(args[9], "CRITICAL");
  EXPECT_EQ(args[10], "WARNING");
  EXPECT_EQ(args[11], "97.5");
  EXPECT_EQ(args[17], "average CPU $(id)");
  EXPECT_EQ(args[18], "97.50 %");
  for (const char* f : {"PWNED", "PWNED2", "PWNED3"}) {
    EXPECT_FALSE(std::filesystem::exists(dir_ / f)) << f;
  }
  std::ifstream env(dir_ / "env.out");
  std::stringstream text;
  text << env.rdbuf();
  EXPECT_NE(text.str().find(std::string("TRIB_ALARM_HOST=") + kEvilHostname), std::string::npos);
  EXPECT_NE(text.str().find("TRIB_ALARM_STATUS=CRITICAL"), std::string::npos);
}

TEST_F(NotifierTest, FailuresAreLoggedAndRetried) {
  NotificationOptions options;
  options.exec = script(3);
  options.retries = 0;
  make(options);
  notifier_->notify(sample("web-1"));
  run_until([&] { return notifier_->log().size() == 1 && notifier_->in_flight() == 0; });
  EXPECT_FALSE(notifier_->log()[0].ok);
  EXPECT_EQ(notifier_->log()[0].detail, "exit 3");

  options.exec = (dir_ / "does-not-exist").string();
  options.retries = 1;
  notifier_->set_options(options);
  notifier_->notify(sample("web-1"));
  run_until([&] { return notifier_->log().size() == 3; }, std::chrono::seconds(15));
  EXPECT_EQ(notifier_->log()[2].attempt, 2u);  // retried once, 5 s later
  EXPECT_FALSE(notifier_->log()[2].ok);
}

TEST_F(NotifierTest, AHangingScriptIsKilledAtTheTimeout) {
  NotificationOptions options;
  options.exec = script(0, "sleep 30\n");
  options.timeout = std::chrono::seconds(1);
  options.retries = 0;
  make(options);
  notifier_->notify(sample("web-1"));
  run_until([&] { return notifier_->log().size() == 1; });
  EXPECT_EQ(notifier_->log()[0].detail, "timed out; killed");
}

TEST_F(NotifierTest, WebhookPostsJson) {
  std::vector<nlohmann::json> bodies;
  server_ = std::make_unique<http::HttpServer>(loop_);
  server_->set_handler([&](http::HttpRequest&& request, http::Responder responder) {
    bodies.push_back(nlohmann::json::parse(request.body));
    responder.respond(http::HttpResponse::json(200, "{}"));
  });
  auto listener = net::TcpListener::listen(loop_, "127.0.0.1", 0,
                                           [this](auto conn) { server_->adopt(std::move(conn)); });
  ASSERT_TRUE(listener.ok());
  listener_ = std::move(listener).value();
  NotificationOptions options;
  options.webhook = "http://127.0.0.1:" + std::to_string(listener_->port()) + "/alarms";
  make(options);
  notifier_->notify(sample(kEvilHostname));
  run_until([&] { return notifier_->log().size() == 1; });
  EXPECT_TRUE(notifier_->log()[0].ok) << notifier_->log()[0].detail;
  ASSERT_EQ(bodies.size(), 1u);
  EXPECT_EQ(bodies[0]["hostname"], kEvilHostname);
  EXPECT_EQ(bodies[0]["status"], "CRITICAL");
  EXPECT_EQ(bodies[0]["recipients"][1], "oncall");
  EXPECT_EQ(bodies[0]["value"], 97.5);
}

}  // namespace
}  // namespace trib::parent::health
