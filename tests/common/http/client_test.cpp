#include "common/http/client.h"

#include <gtest/gtest.h>

#include <optional>

#include "common/net/tcp.h"
#include "support/loop_fixture.h"

namespace trib::http {
namespace {

using namespace std::chrono_literals;

TEST(ParseHttpUrlTest, SplitsHostPortAndTarget) {
  auto a = parse_http_url("http://example.org:8000/agents/heartbeat?x=1#frag");
  ASSERT_TRUE(a.ok()) << a.error().describe();
  EXPECT_EQ(a->host, "example.org");
  EXPECT_EQ(a->port, 8000);
  EXPECT_EQ(a->target, "/agents/heartbeat?x=1");
  auto b = parse_http_url("http://10.0.0.1");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->port, 80);
  EXPECT_EQ(b->target, "/");
  auto c = parse_http_url("HTTP://[::1]:19999/api");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->host, "::1");
  EXPECT_EQ(c->port, 19999);
  auto d = parse_http_url("https://parent.example/agents/heartbeat");
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->tls);
  EXPECT_EQ(d->port, 443);
  EXPECT_FALSE(b->tls);
}

TEST(ParseHttpUrlTest, RefusesWhatItCannotFetch) {
  EXPECT_TRUE(parse_http_url("ftp://h/").error().is(Errc::invalid_argument));
  EXPECT_TRUE(parse_http_url("/relative").error().is(Errc::invalid_argument));
  EXPECT_TRUE(parse_http_url("http://user:pw@h/").error().is(Errc::invalid_argument));
  EXPECT_TRUE(parse_http_url("http://h:0/").error().is(Errc::invalid_argument));
}

TEST(ResponseParserTest, ParsesAChunkedAnswerFedByteByByte) {
  ResponseParser parser(false, 1024);
  const std::string raw =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Empty:\r\n\r\n"
      "3\r\nabc\r\n0\r\n\r\nextra";
  bool complete = false;
  for (const char c : raw) {
    auto step = parser.parse(std::string_view(&c, 1));
    ASSERT_TRUE(step.ok()) << step.error().describe();
    complete = *step;
    if (complete) break;
  }
  ASSERT_TRUE(complete);
  auto response = parser.take_response();
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "abc");
  ASSERT_NE(response.headers.get("x-empty"), nullptr);
  EXPECT_EQ(*response.headers.get("x-empty"), "");
}

TEST(ResponseParserTest, HeadAnswerHasNoBodyDespiteItsLength) {
  ResponseParser parser(true, 1024);
  auto step = parser.parse("HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n");
  ASSERT_TRUE(step.ok());
  EXPECT_TRUE(*step);
  EXPECT_EQ(parser.take_response().body, "");
}

TEST(ResponseParserTest, CloseCompletesOnlyCloseDelimitedBodies) {
  ResponseParser open_ended(false, 1024);
  ASSERT_FALSE(*open_ended.parse("HTTP/1.0 200 OK\r\n\r\nall of it"));
  auto done = open_ended.finish();
  ASSERT_TRUE(done.ok());
  EXPECT_TRUE(*done);
  EXPECT_EQ(open_ended.take_response().body, "all of it");
  ResponseParser cut(false, 1024);
  ASSERT_FALSE(*cut.parse("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\npart"));
  auto cut_done = cut.finish();
  ASSERT_TRUE(cut_done.ok());
  EXPECT_FALSE(*cut_done);
}

// A server that answers every connection with canned bytes once it has read a request head,
// and remembers what it read.
class CannedServerTest : public test::LoopTest {
 protected:
  void serve(std::string answer, bool close_after = true) {
    auto listener =
        net::TcpListener::listen(loop_, "127.0.0.1", 0, [this, answer, close_after](auto conn) {
          auto* raw = conn.get();
          conns_.push_back(std::move(conn));
          raw->start_reading(
              [this, raw, answer, close_after](std::string_view bytes) {
                received_ += bytes;
                if (received_.find("\r\n\r\n") == std::string::npos || answer.empty()) return;
                raw->write(answer, [this, raw, close_after](const Status&) {
                  if (close_after) drop(raw);
                });
              },
              [](const Error&) {});
        });
    ASSERT_TRUE(listener.ok());
    listener_ = std::move(listener).value();
  }

  void drop(net::TcpConnection* raw) {
    std::erase_if(conns_, [raw](const auto& c) { return c.get() == raw; });
  }

  void TearDown() override {
    listener_.reset();
    conns_.clear();
    LoopTest::TearDown();
  }

  std::string url(const std::string& target) {
    return "http://127.0.0.1:" + std::to_string(listener_->port()) + target;
  }

  Result<FetchResponse> fetch_now(FetchRequest request) {
    std::optional<Result<FetchResponse>> out;
    auto handle = fetch(loop_, std::move(request), [&](auto result) { out = std::move(result); });
    run_until([&] { return out.has_value(); });
    if (!out) return Error(Errc::timeout, "test gave up");
    return std::move(*out);
  }

  std::unique_ptr<net::TcpListener> listener_;
  std::vector<std::unique_ptr<net::TcpConnection>> conns_;
  std::string received_;
};

TEST_F(CannedServerTest, SendsAWellFormedRequest) {
  serve("HTTP/1.1 204 No Content\r\n\r\n");
  FetchRequest request;
  request.method = "POST";
  request.url = url("/agents/heartbeat?v=1");
  request.headers.set("Content-Type", "application/json");
  request.headers.set("Connection", "keep-alive");  // replaced: one request per connection
  request.body = "{}";
  auto response = fetch_now(std::move(request));
  ASSERT_TRUE(response.ok()) << response.error().describe();
  EXPECT_EQ(response->status, 204);
  const auto port = std::to_string(listener_->port());
  EXPECT_TRUE(received_.starts_with("POST /agents/heartbeat?v=1 HTTP/1.1\r\nHost: 127.0.0.1:" +
                                    port + "\r\nUser-Agent: tributary/"))
      << received_;
  EXPECT_NE(received_.find("\r\nContent-Type: application/json\r\n"), std::string::npos);
  EXPECT_NE(received_.find("\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"),
            std::string::npos);
  EXPECT_EQ(received_.find("keep-alive"), std::string::npos);
}

TEST_F(CannedServerTest, ReadsChunkedAnswers) {
  serve(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: b\r\n\r\n"
      "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
      false);
  FetchRequest request;
  request.url = url("/");
  auto response = fetch_now(std::move(request));
  ASSERT_TRUE(response.ok()) << response.error().describe();
  EXPECT_EQ(response->body, "abcde");
  EXPECT_EQ(*response->headers.get("x-a"), "b");
}

TEST_F(CannedServerTest, ReadsContentLengthAnswersWithoutWaitingForClose) {
  serve("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", false);
  FetchRequest request;
  request.url = url("/");
  auto response = fetch_now(std::move(request));
  ASSERT_TRUE(response.ok()) << response.error().describe();
  EXPECT_EQ(response->body, "hello");
}

TEST_F(CannedServerTest, ReadsAnswersDelimitedByClose) {
  serve("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end");
  FetchRequest request;
  request.url = url("/");
  auto response = fetch_now(std::move(request));
  ASSERT_TRUE(response.ok()) << response.error().describe();
  EXPECT_EQ(response->body, "until the end");
}

TEST_F(CannedServerTest, SkipsInterimAnswers) {
  serve("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok");
  FetchRequest request;
  request.url = url("/");
  auto response = fetch_now(std::move(request));
  ASSERT_TRUE(response.ok()) << response.error().describe();
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(response->body, "ok");
}

TEST_F(CannedServerTest, TruncatedAnswerIsAnError) {
  serve("HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort");
  FetchRequest request;
  request.url = url("/");
  auto response = fetch_now(std::move(request));
  ASSERT_FALSE(response.ok());
  EXPECT_TRUE(response.error().is(Errc::closed)) << response.error().describe();
}

TEST_F(CannedServerTest, GarbageAnswerIsAProtocolError) {
  serve("SSH-2.0-OpenSSH_9.2\r\n\r\n");
  FetchRequest request;
  request.url = url("/");
  auto response = fetch_now(std::move(request));
  ASSERT_FALSE(response.ok());
  EXPECT_TRUE(response.error().is(Errc::protocol_error)) << response.error().describe();
}

TEST_F(CannedServerTest, OversizedAnswerIsRefused) {
  serve("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'x'));
  FetchRequest request;
  request.url = url("/");
  request.max_response_body_bytes = 10;
  auto response = fetch_now(std::move(request));
  ASSERT_FALSE(response.ok());
  EXPECT_TRUE(response.error().is(Errc::limit_exceeded)) << response.error().describe();
}

TEST_F(CannedServerTest, SilentServerTimesOut) {
  serve("");
  FetchRequest request;
  request.url = url("/");
  request.timeout = 100ms;
  auto response = fetch_now(std::move(request));
  ASSERT_FALSE(response.ok());
  EXPECT_TRUE(response.error().is(Errc::timeout)) << response.error().describe();
}

TEST_F(CannedServerTest, CancelledFetchNeverCallsBack) {
  serve("");
  FetchRequest request;
  request.url = url("/");
  auto handle =
      fetch(loop_, std::move(request), [](auto) { ADD_FAILURE() << "callback after cancel"; });
  EXPECT_TRUE(handle.active());
  run_until([&] { return !received_.empty(); });
  handle.cancel();
  EXPECT_FALSE(handle.active());
  // A dropped handle cancels too.
  FetchRequest again;
  again.url = url("/");
  {
    auto dropped = fetch(loop_, std::move(again), [](auto) { ADD_FAILURE() << "after drop"; });
  }
  event::Timer settle(loop_);
  bool settled = false;
  settle.start(50ms, 0ms, [&] { settled = true; });
  run_until([&] { return settled; });
}

TEST_F(CannedServerTest, BadUrlIsReportedFromTheLoop) {
  bool called = false;
  FetchRequest request;
  request.url = "ftp://example.org/";
  auto handle = fetch(loop_, std::move(request), [&](Result<FetchResponse> result) {
    called = true;
    ASSERT_FALSE(result.ok());
    EXPECT_TRUE(result.error().is(Errc::invalid_argument));
  });
  EXPECT_FALSE(called);  // never from inside fetch()
  run_until([&] { return called; });
}

TEST_F(CannedServerTest, RefusedConnectionIsAnError) {
  uint16_t port = 0;
  {
    auto l = net::TcpListener::listen(loop_, "127.0.0.1", 0, [](auto) {});
    ASSERT_TRUE(l.ok());
    port = (*l)->port();
  }
  serve("");  // for TearDown symmetry
  FetchRequest request;
  request.url = "http://127.0.0.1:" + std::to_string(port) + "/";
  auto response = fetch_now(std::move(request));
  ASSERT_FALSE(response.ok());
}

}  // namespace
}  // namespace trib::http
