#include "common/http/server.h"

#include <gtest/gtest.h>

#include <optional>

#include "common/http/client.h"
#include "support/loop_fixture.h"
#include "trib_version.h"

namespace trib::http {
namespace {

using namespace std::chrono_literals;

// A client speaking raw bytes: connects, sends what it is given, records what comes back and
// whether the server closed.
class RawClient {
 public:
  RawClient(event::Loop& loop, uint16_t port) {
    attempt_ = net::TcpConnect::start(loop, "127.0.0.1", port, 5s, [this](auto result) {
      ASSERT_TRUE(result.ok()) << result.error().describe();
      conn_ = std::move(result).value();
      conn_->start_reading([this](std::string_view bytes) { received += bytes; },
                           [this](const Error&) { closed = true; });
      for (auto& bytes : queued_) conn_->write(std::move(bytes));
      queued_.clear();
    });
  }

  void send(std::string bytes) {
    if (conn_) {
      conn_->write(std::move(bytes));
    } else {
      queued_.push_back(std::move(bytes));
    }
  }
  void disconnect() { conn_.reset(); }
  bool connected() const { return conn_ != nullptr; }

  // How many complete responses (status lines) arrived so far.
  size_t responses() const {
    size_t n = 0;
    for (size_t at = received.find("HTTP/1.1 "); at != std::string::npos;
         at = received.find("HTTP/1.1 ", at + 1)) {
      ++n;
    }
    return n;
  }

  std::string received;
  bool closed = false;

 private:
  std::unique_ptr<net::TcpConnect> attempt_;
  std::unique_ptr<net::TcpConnection> conn_;
  std::vector<std::string> queued_;
};

class HttpServerTest : public test::LoopTest {
 protected:
  // The listener hands every connection to the server, as the parent's listener will.
  void start(HttpLimits limits = {}) {
    server_ = std::make_unique<HttpServer>(loop_, limits);
    server_->set_handler([this](HttpRequest&& request, Responder responder) {
      seen_.push_back(request.method + " " + request.path);
      handler_(std::move(request), std::move(responder));
    });
    auto listener = net::TcpListener::listen(loop_, "127.0.0.1", 0, [this](auto conn) {
      if (!sniff_first_read_) {
        server_->adopt(std::move(conn));
        return;
      }
      sniff(std::move(conn));
    });
    ASSERT_TRUE(listener.ok()) << listener.error().describe();
    listener_ = std::move(listener).value();
  }

  // Reads the first bytes itself before adopting, like a listener that sniffs the protocol.
  void sniff(std::unique_ptr<net::TcpConnection> conn) {
    auto* raw = conn.get();
    sniffing_.push_back(std::move(conn));
    raw->start_reading(
        [this, raw](std::string_view bytes) {
          raw->pause_reading();
          for (auto& c : sniffing_) {
            if (c.get() == raw) server_->adopt(std::move(c), std::string(bytes));
          }
        },
        [](const Error&) {});
  }

  void TearDown() override {
    listener_.reset();
    server_.reset();
    sniffing_.clear();
    LoopTest::TearDown();
  }

  uint16_t port() const { return listener_->port(); }
  std::string url(const std::string& target) {
    return "http://127.0.0.1:" + std::to_string(port()) + target;
  }

  Result<FetchResponse> fetch_now(FetchRequest request) {
    std::optional<Result<FetchResponse>> out;
    auto handle = fetch(loop_, std::move(request), [&](auto result) { out = std::move(result); });
    run_until([&] { return out.has_value(); });
    if (!out) return Error(Errc::timeout, "test gave up");
    return std::move(*out);
  }
  Result<FetchResponse> get(const std::string& target) {
    FetchRequest request;
    request.url = url(target);
    return fetch_now(std::move(request));
  }

  // After a bad request the server must go on serving other connections.
  void expect_still_serving() {
    auto response = get("/after");
    ASSERT_TRUE(response.ok()) << response.error().describe();
    EXPECT_EQ(response->status, 200);
  }

  // Lets the loop run for `d` (to let bytes arrive in separate reads, say).
  void settle(std::chrono::milliseconds d) {
    event::Timer timer(loop_);
    bool done = false;
    timer.start(d, std::chrono::milliseconds(0), [&] { done = true; });
    run_until([&] { return done; });
  }

  static void echo(HttpRequest&& request, Responder responder) {
    responder.respond(
        HttpResponse::text(200, request.method + " " + request.path + " " + request.body));
  }

  std::function<void(HttpRequest&&, Responder)> handler_ = echo;
  std::vector<std::string> seen_;
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<net::TcpListener> listener_;
  std::vector<std::unique_ptr<net::TcpConnection>> sniffing_;
  bool sniff_first_read_ = false;
};

TEST_F(HttpServerTest, AnswersASimpleGet) {
  start();
  handler_ = [this](HttpRequest&& request, Responder responder) {
    EXPECT_EQ(request.peer_address, "127.0.0.1");
    EXPECT_EQ(*request.header("host"), "127.0.0.1:" + std::to_string(port()));
    responder.respond(HttpResponse::json(200, "{\"path\":\"" + request.path + "\",\"x\":\"" +
                                                  *find_param(request.query, "x") + "\"}"));
  };
  auto response = get("/a%20b?x=1+2");
  ASSERT_TRUE(response.ok()) << response.error().describe();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, R"({"path":"/a b","x":"1 2"})");
  EXPECT_EQ(*response->headers.get("content-type"), "application/json");
  EXPECT_EQ(*response->headers.get("Server"), std::string("tributary/") + kVersion);
  EXPECT_TRUE(response->headers.has("Date"));
  EXPECT_EQ(*response->headers.get("Content-Length"), std::to_string(response->body.size()));
}

TEST_F(HttpServerTest, KeepAliveServesTwoRequestsOnOneConnection) {
  start();
  RawClient client(loop_, port());
  client.send("GET /one HTTP/1.1\r\nHost: x\r\n\r\n");
  run_until([&] { return client.responses() == 1; });
  EXPECT_EQ(server_->session_count(), 1u);
  client.send("GET /two HTTP/1.1\r\nHost: x\r\n\r\n");
  run_until([&] { return client.responses() == 2; });
  EXPECT_FALSE(client.closed);
  EXPECT_NE(client.received.find("GET /one"), std::string::npos);
  EXPECT_TRUE(client.received.ends_with("GET /two "));
  EXPECT_EQ(server_->session_count(), 1u);
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  start();
  // The first answer is the slowest: order must still hold.
  std::vector<std::unique_ptr<event::Timer>> timers;
  handler_ = [&](HttpRequest&& request, Responder responder) {
    auto timer = std::make_unique<event::Timer>(loop_);
    const auto delay = request.path == "/1" ? 50ms : 1ms;
    timer->start(
        delay, 0ms,
        [r = std::make_shared<Responder>(std::move(responder)), path = request.path]() mutable {
          r->respond(HttpResponse::text(200, "answer" + path));
        });
    timers.push_back(std::move(timer));
  };
  RawClient client(loop_, port());
  client.send(
      "GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n"
      "GET /3 HTTP/1.1\r\nConnection: close\r\n\r\n");
  run_until([&] { return client.closed; });
  const auto a1 = client.received.find("answer/1");
  const auto a2 = client.received.find("answer/2");
  const auto a3 = client.received.find("answer/3");
  ASSERT_NE(a3, std::string::npos);
  EXPECT_LT(a1, a2);
  EXPECT_LT(a2, a3);
  EXPECT_NE(client.received.find("Connection: close"), std::string::npos);
}

TEST_F(HttpServerTest, ChunkedRequestBodyReachesTheHandler) {
  start();
  RawClient client(loop_, port());
  client.send("POST /in HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n");
  client.send("5\r\npedia\r\n0\r\n\r\n");
  run_until([&] { return client.responses() == 1 && client.received.ends_with("Wikipedia"); });
  EXPECT_TRUE(client.received.ends_with("POST /in Wikipedia"));
}

TEST_F(HttpServerTest, PostThroughTheClientCarriesTheBody) {
  start();
  FetchRequest request;
  request.method = "POST";
  request.url = url("/agents/heartbeat");
  request.headers.set("Content-Type", "application/json");
  request.body = R"({"id":1})";
  auto response = fetch_now(std::move(request));
  ASSERT_TRUE(response.ok()) << response.error().describe();
  EXPECT_EQ(response->body, R"(POST /agents/heartbeat {"id":1})");
}

TEST_F(HttpServerTest, HeadIsAnsweredWithoutBody) {
  start();
  FetchRequest request;
  request.method = "HEAD";
  request.url = url("/x");
  auto response = fetch_now(std::move(request));
  ASSERT_TRUE(response.ok()) << response.error().describe();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "");
  EXPECT_EQ(*response->headers.get("Content-Length"), "8");  // "HEAD /x "
}

TEST_F(HttpServerTest, Http10ClosesUnlessKeepAliveIsAsked) {
  start();
  RawClient plain(loop_, port());
  plain.send("GET /a HTTP/1.0\r\n\r\n");
  run_until([&] { return plain.closed; });
  EXPECT_NE(plain.received.find("Connection: close"), std::string::npos);
  RawClient keep(loop_, port());
  keep.send("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  run_until([&] { return keep.responses() == 1 && keep.received.ends_with("GET /a "); });
  EXPECT_NE(keep.received.find("Connection: keep-alive"), std::string::npos);
  EXPECT_FALSE(keep.closed);
}

TEST_F(HttpServerTest, ExpectContinueGetsA100BeforeTheBody) {
  start();
  RawClient client(loop_, port());
  client.send("PUT /c HTTP/1.1\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n");
  run_until([&] { return client.received == "HTTP/1.1 100 Continue\r\n\r\n"; });
  client.send("ok");
  run_until([&] { return client.received.ends_with("PUT /c ok"); });
}

TEST_F(HttpServerTest, OversizedHeadIs431ThenClosed) {
  start();
  RawClient client(loop_, port());
  client.send("GET / HTTP/1.1\r\nX-Big: " + std::string(20 * 1024, 'a') + "\r\n\r\n");
  run_until([&] { return client.closed; });
  EXPECT_TRUE(client.received.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"))
      << client.received;
  EXPECT_NE(client.received.find("Connection: close"), std::string::npos);
  expect_still_serving();
  EXPECT_EQ(seen_, std::vector<std::string>{"GET /after"});
}

TEST_F(HttpServerTest, OversizedBodyIs413ThenClosed) {
  HttpLimits limits;
  limits.max_body_bytes = 1000;
  start(limits);
  RawClient declared(loop_, port());
  declared.send("POST / HTTP/1.1\r\nContent-Length: 5000\r\n\r\n" + std::string(5000, 'b'));
  RawClient chunked(loop_, port());
  chunked.send("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
  for (int i = 0; i < 4; ++i) chunked.send("190\r\n" + std::string(400, 'c') + "\r\n");
  run_until([&] { return declared.closed && chunked.closed; });
  EXPECT_TRUE(declared.received.starts_with("HTTP/1.1 413 ")) << declared.received;
  EXPECT_TRUE(chunked.received.starts_with("HTTP/1.1 413 ")) << chunked.received;
  expect_still_serving();
  EXPECT_EQ(seen_, std::vector<std::string>{"GET /after"});
}

TEST_F(HttpServerTest, GarbageIs400ThenClosed) {
  start();
  RawClient client(loop_, port());
  client.send("\x16\x03\x01 this is not http\r\n\r\n");
  run_until([&] { return client.closed; });
  EXPECT_TRUE(client.received.starts_with("HTTP/1.1 400 Bad Request\r\n")) << client.received;
  expect_still_serving();
}

TEST_F(HttpServerTest, TakeoverGetsTheConnectionAndEveryByte) {
  start();
  std::string handed;
  std::unique_ptr<net::TcpConnection> taken;
  std::string after;
  server_->set_takeover(
      "STREAM ", [&](std::unique_ptr<net::TcpConnection> conn, std::string already_read) {
        handed = std::move(already_read);
        taken = std::move(conn);
        taken->start_reading([&](std::string_view bytes) { after += bytes; }, [](const Error&) {});
        taken->write("HTTP/1.1 200 OK\r\n\r\nSTREAM OK");
      });
  const std::string handshake =
      "STREAM key=11111111-2222-3333-4444-555555555555&hostname=web 01&ver=1 HTTP/1.1\r\n"
      "User-Agent: netdata/1.37\r\n\r\n";
  RawClient client(loop_, port());
  client.send(handshake);
  run_until([&] { return client.received.ends_with("STREAM OK"); });
  EXPECT_EQ(handed, handshake);
  EXPECT_EQ(server_->session_count(), 0u);
  EXPECT_TRUE(seen_.empty());
  client.send("frames");
  run_until([&] { return after == "frames"; });
}

TEST_F(HttpServerTest, TakeoverPrefixSplitAcrossWrites) {
  start();
  std::string handed;
  std::unique_ptr<net::TcpConnection> taken;
  server_->set_takeover("STREAM ",
                        [&](std::unique_ptr<net::TcpConnection> conn, std::string already_read) {
                          handed = std::move(already_read);
                          taken = std::move(conn);
                        });
  RawClient client(loop_, port());
  client.send("STR");
  settle(50ms);  // the server reads the first piece alone
  EXPECT_EQ(server_->session_count(), 1u);
  client.send("EAM key=k HTTP/1.1\r\n\r\n");
  run_until([&] { return taken != nullptr; });
  EXPECT_EQ(handed, "STREAM key=k HTTP/1.1\r\n\r\n");
}

TEST_F(HttpServerTest, BytesAlreadyReadBySniffingAreParsedFirst) {
  sniff_first_read_ = true;
  start();
  std::string handed;
  std::unique_ptr<net::TcpConnection> taken;
  server_->set_takeover("STREAM ",
                        [&](std::unique_ptr<net::TcpConnection> conn, std::string already_read) {
                          handed = std::move(already_read);
                          taken = std::move(conn);
                        });
  // HTTP whose first bytes the listener took.
  auto response = get("/sniffed?a=1");
  ASSERT_TRUE(response.ok()) << response.error().describe();
  EXPECT_EQ(response->body, "GET /sniffed ");
  // A handshake whose first bytes the listener took, rest sent later.
  RawClient client(loop_, port());
  client.send("STRE");
  settle(50ms);  // the server reads the first piece alone
  client.send("AM key=k HTTP/1.1\r\n\r\n");
  run_until([&] { return taken != nullptr; });
  EXPECT_EQ(handed, "STREAM key=k HTTP/1.1\r\n\r\n");
}

TEST_F(HttpServerTest, ResponderAnsweredLaterFromATimer) {
  start();
  event::Timer later(loop_);
  handler_ = [&](HttpRequest&& request, Responder responder) {
    later.start(30ms, 0ms,
                [r = std::make_shared<Responder>(std::move(responder)), path = request.path] {
                  r->respond(HttpResponse::text(202, "committed " + path));
                });
  };
  auto response = get("/slow");
  ASSERT_TRUE(response.ok()) << response.error().describe();
  EXPECT_EQ(response->status, 202);
  EXPECT_EQ(response->body, "committed /slow");
}

TEST_F(HttpServerTest, DroppedResponderAnswers500AndConnectionLivesOn) {
  start();
  handler_ = [](HttpRequest&& request, Responder responder) {
    if (request.path == "/ok") responder.respond(HttpResponse::text(200, "fine"));
  };
  RawClient client(loop_, port());
  client.send("GET /drop HTTP/1.1\r\n\r\nGET /ok HTTP/1.1\r\n\r\n");
  run_until([&] { return client.received.ends_with("fine"); });
  EXPECT_TRUE(client.received.starts_with("HTTP/1.1 500 Internal Server Error\r\n"));
  EXPECT_FALSE(client.closed);
}

TEST_F(HttpServerTest, AnswerToAClientThatLeftIsDroppedQuietly) {
  start();
  std::optional<Responder> held;
  handler_ = [&](HttpRequest&&, Responder responder) { held.emplace(std::move(responder)); };
  RawClient client(loop_, port());
  client.send("GET /wait HTTP/1.1\r\n\r\n");
  run_until([&] { return held.has_value(); });
  client.disconnect();
  settle(50ms);
  // The session waited for the answer (a client may only have half-closed), then ends.
  held->respond(HttpResponse::text(200, "too late"));
  held.reset();
  run_until([&] { return server_->session_count() == 0; });
  handler_ = echo;
  expect_still_serving();
}

TEST_F(HttpServerTest, CloseAllEndsConnectionsWithAnswersPending) {
  start();
  std::optional<Responder> held;
  handler_ = [&](HttpRequest&&, Responder responder) { held.emplace(std::move(responder)); };
  RawClient busy(loop_, port());
  busy.send("GET /wait HTTP/1.1\r\n\r\n");
  RawClient idle(loop_, port());
  run_until([&] { return held.has_value() && server_->session_count() == 2; });
  server_->close_all();
  EXPECT_EQ(server_->session_count(), 0u);
  run_until([&] { return busy.closed && idle.closed; });
  held->respond(HttpResponse::text(200, "after close_all"));  // a no-op
  EXPECT_EQ(busy.received, "");
}

TEST_F(HttpServerTest, IdleKeepAliveConnectionIsClosed) {
  HttpLimits limits;
  limits.idle_timeout = 100ms;
  start(limits);
  RawClient client(loop_, port());
  client.send("GET / HTTP/1.1\r\n\r\n");
  run_until([&] { return client.responses() == 1; });
  EXPECT_FALSE(client.closed);
  run_until([&] { return client.closed; }, 3s);
  EXPECT_EQ(client.responses(), 1u);  // closed quietly, no extra answer
}

TEST_F(HttpServerTest, SlowHeadGets408AndIsClosed) {
  HttpLimits limits;
  limits.head_timeout = 100ms;
  start(limits);
  RawClient slow(loop_, port());
  slow.send("GET / HTTP/1.1\r\nX-A: 1\r\n");
  RawClient silent(loop_, port());
  run_until([&] { return slow.closed && silent.closed; }, 3s);
  EXPECT_TRUE(slow.received.starts_with("HTTP/1.1 408 Request Timeout\r\n")) << slow.received;
  EXPECT_EQ(silent.received, "");
}

TEST_F(HttpServerTest, WithoutHandlerEveryRequestIs404) {
  server_ = std::make_unique<HttpServer>(loop_);
  auto listener = net::TcpListener::listen(loop_, "127.0.0.1", 0,
                                           [this](auto conn) { server_->adopt(std::move(conn)); });
  ASSERT_TRUE(listener.ok());
  listener_ = std::move(listener).value();
  auto response = get("/x");
  ASSERT_TRUE(response.ok()) << response.error().describe();
  EXPECT_EQ(response->status, 404);
}

}  // namespace
}  // namespace trib::http
