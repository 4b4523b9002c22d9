// fetch() over https against a TLS-only HttpServer (TcpListener -> TlsAcceptor -> HttpServer,
// as the parent's ports are built), with certificates the test makes.
#include <gtest/gtest.h>

#include <optional>

#include "common/http/client.h"
#include "common/http/server.h"
#include "common/net/tcp.h"
#include "common/net/tls_acceptor.h"
#include "support/loop_fixture.h"
#include "support/process.h"
#include "support/test_certs.h"

namespace trib::http {
namespace {

using namespace std::chrono_literals;

const test::TestCerts& certs() {
  static test::TempDir dir;
  static test::TestCerts made(dir.path());
  return made;
}

class HttpsFetchTest : public test::LoopTest {
 protected:
  void serve(const test::CertFiles& server_cert) {
    auto context = net::TlsContext::server({server_cert.cert, server_cert.key, ""});
    ASSERT_TRUE(context.ok()) << context.error().describe();
    server_ = std::make_unique<HttpServer>(loop_);
    server_->set_handler([](HttpRequest&& request, Responder responder) {
      responder.respond(
          HttpResponse::text(200, request.method + " " + request.path + " " + request.body));
    });
    net::TlsAcceptor::Handlers handlers;
    handlers.ready = [this](std::unique_ptr<net::TcpConnection> c, std::string read) {
      server_->adopt(std::move(c), std::move(read));
    };
    handlers.plaintext_refused = [](std::unique_ptr<net::TcpConnection>, std::string) {};
    acceptor_ = std::make_unique<net::TlsAcceptor>(loop_, net::TlsMode::force, *context, 5s, 16,
                                                   std::move(handlers));
    auto listener = net::TcpListener::listen(loop_, "127.0.0.1", 0,
                                             [this](auto c) { acceptor_->adopt(std::move(c)); });
    ASSERT_TRUE(listener.ok());
    listener_ = std::move(listener).value();
  }

  void TearDown() override {
    listener_.reset();
    acceptor_.reset();
    server_.reset();
    LoopTest::TearDown();
  }

  Result<FetchResponse> post(const std::string& ca_file, bool verify = true) {
    FetchRequest request;
    request.method = "POST";
    request.url = "https://127.0.0.1:" + std::to_string(listener_->port()) + "/agents/heartbeat";
    request.body = "{}";
    net::TlsClientOptions tls;
    tls.ca_file = ca_file;
    tls.verify = verify;
    auto context = net::TlsContext::client(tls);
    if (!context.ok()) return context.take_error();
    request.tls = std::move(context).value();
    std::optional<Result<FetchResponse>> out;
    auto handle = fetch(loop_, std::move(request), [&](auto result) { out = std::move(result); });
    run_until([&] { return out.has_value(); });
    if (!out) return Error(Errc::timeout, "test gave up");
    return std::move(*out);
  }

  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<net::TlsAcceptor> acceptor_;
  std::unique_ptr<net::TcpListener> listener_;
};

TEST_F(HttpsFetchTest, PostsOverTlsVerifyingTheServer) {
  serve(certs().server);
  auto answer = post(certs().ca_file);
  ASSERT_TRUE(answer.ok()) << answer.error().describe();
  EXPECT_EQ(answer->status, 200);
  EXPECT_EQ(answer->body, "POST /agents/heartbeat {}");
}

TEST_F(HttpsFetchTest, AnUntrustedServerIsRefusedWithOpenSslsReason) {
  serve(certs().untrusted);
  auto answer = post(certs().ca_file);
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().code, make_error_code(net::TlsErrc::verify_failed))
      << answer.error().describe();
  EXPECT_NE(answer.error().message.find("unable to get local issuer certificate"),
            std::string::npos)
      << answer.error().describe();
}

TEST_F(HttpsFetchTest, SkippingVerificationAcceptsASelfSignedServer) {
  serve(certs().self_signed);
  EXPECT_FALSE(post(certs().ca_file).ok());
  auto answer = post("", false);
  ASSERT_TRUE(answer.ok()) << answer.error().describe();
  EXPECT_EQ(answer->status, 200);
}

}  // namespace
}  // namespace trib::http
