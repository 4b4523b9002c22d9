#include "common/net/tls.h"

#include <gtest/gtest.h>

#include <optional>

#include "common/net/tcp.h"
#include "support/loop_fixture.h"
#include "support/process.h"
#include "support/test_certs.h"

namespace trib::net {
namespace {

using namespace std::chrono_literals;

const test::TestCerts& certs() {
  static test::TempDir dir;
  static test::TestCerts made(dir.path());
  return made;
}

std::shared_ptr<TlsContext> server_context(const test::CertFiles& files,
                                           const std::string& client_ca = {}) {
  auto ctx = TlsContext::server({files.cert, files.key, client_ca});
  EXPECT_TRUE(ctx.ok()) << ctx.error().describe();
  return ctx.ok() ? *ctx : nullptr;
}

std::shared_ptr<TlsContext> client_context(TlsClientOptions options) {
  auto ctx = TlsContext::client(options);
  EXPECT_TRUE(ctx.ok()) << ctx.error().describe();
  return ctx.ok() ? *ctx : nullptr;
}

TlsClientOptions trusting_test_ca() {
  TlsClientOptions options;
  options.ca_file = certs().ca_file;
  return options;
}

// A TLS server that echoes, and one client connection to it, both on the fixture's loop.
class TlsTest : public test::LoopTest {
 protected:
  void TearDown() override {
    client_.reset();
    attempt_.reset();
    server_side_.reset();
    listener_.reset();
    test::LoopTest::TearDown();
  }

  void serve(std::shared_ptr<TlsContext> context) {
    auto listener = TcpListener::listen(loop_, "127.0.0.1", 0, [this, context](auto conn) {
      server_side_ = std::move(conn);
      auto engine = TlsEngine::create(context);
      ASSERT_TRUE(engine.ok());
      server_side_->start_tls(std::move(engine).value(), {}, [this](Result<std::string> early) {
        if (!early.ok()) {
          server_error_ = early.error();
          server_side_.reset();
          return;
        }
        server_peer_subject_ = server_side_->tls()->peer_subject();
        server_side_->start_reading([this](std::string_view bytes) { echo(bytes); },
                                    [this](const Error&) { server_side_.reset(); });
        echo(*early);
      });
    });
    ASSERT_TRUE(listener.ok()) << listener.error().describe();
    listener_ = std::move(listener).value();
  }

  void echo(std::string_view bytes) {
    if (!bytes.empty()) server_side_->write(std::string(bytes));
  }

  // Connects with `context`, checking the certificate against `name`; send `first` once secure.
  void connect(std::shared_ptr<TlsContext> context, const std::string& name = "127.0.0.1",
               std::string first = "hello") {
    attempt_ = TcpConnect::start(
        loop_, "127.0.0.1", listener_->port(), 5s,
        [this, context, name, first](Result<std::unique_ptr<TcpConnection>> r) {
          ASSERT_TRUE(r.ok()) << r.error().describe();
          client_ = std::move(r).value();
          auto engine = TlsEngine::create(context, name);
          ASSERT_TRUE(engine.ok()) << engine.error().describe();
          client_->start_tls(std::move(engine).value(), {}, [this, first](Result<std::string> e) {
            if (!e.ok()) {
              client_error_ = e.error();
              client_.reset();
              return;
            }
            secure_ = true;
            client_->start_reading([this](std::string_view bytes) { received_ += bytes; },
                                   [this](const Error& why) { client_end_ = why; });
            client_->write(first);
          });
        });
  }

  void expect_client_failure(const std::string& reason) {
    run_until([&] { return client_error_.has_value(); });
    ASSERT_TRUE(client_error_.has_value());
    EXPECT_EQ(client_error_->code, make_error_code(TlsErrc::verify_failed))
        << client_error_->describe();
    EXPECT_NE(client_error_->message.find(reason), std::string::npos) << client_error_->message;
  }

  std::unique_ptr<TcpListener> listener_;
  std::unique_ptr<TcpConnection> server_side_;
  std::unique_ptr<TcpConnect> attempt_;
  std::unique_ptr<TcpConnection> client_;
  std::optional<Error> client_error_;
  std::optional<Error> server_error_;
  std::optional<Error> client_end_;
  std::string server_peer_subject_;
  std::string received_;
  bool secure_ = false;
};

TEST_F(TlsTest, VerifiedHandshakeCarriesDataBothWays) {
  serve(server_context(certs().server));
  connect(client_context(trusting_test_ca()));
  run_until([&] { return received_ == "hello"; });
  EXPECT_NE(client_->tls()->description().find("TLSv1."), std::string::npos);
  // A large write is split into many records and arrives whole and in order.
  std::string big(3 * 1024 * 1024 + 17, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 31 % 251);
  received_.clear();
  client_->write(big);
  run_until([&] { return received_.size() >= big.size(); });
  EXPECT_TRUE(received_ == big);
}

std::shared_ptr<TlsContext> server_with_ciphers(const std::string& ciphersuites) {
  TlsServerOptions options{certs().server.cert, certs().server.key, {}};
  options.ciphersuites = ciphersuites;
  auto ctx = TlsContext::server(options);
  EXPECT_TRUE(ctx.ok()) << ctx.error().describe();
  return ctx.ok() ? *ctx : nullptr;
}

TEST_F(TlsTest, DefaultSuiteIsAes128Gcm) {
  serve(server_context(certs().server));
  connect(client_context(trusting_test_ca()));
  run_until([&] { return received_ == "hello"; });
  EXPECT_EQ(client_->tls()->description(), "TLSv1.3 TLS_AES_128_GCM_SHA256");
  EXPECT_EQ(server_side_->tls()->description(), "TLSv1.3 TLS_AES_128_GCM_SHA256");
}

TEST_F(TlsTest, ServerOrderOfSuitesDecides) {
  // The client offers the default order (AES-128 first); the server's first choice wins.
  serve(server_with_ciphers("TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256"));
  connect(client_context(trusting_test_ca()));
  run_until([&] { return received_ == "hello"; });
  EXPECT_EQ(client_->tls()->description(), "TLSv1.3 TLS_CHACHA20_POLY1305_SHA256");
}

TEST_F(TlsTest, ClientSuitesLimitTheChoice) {
  serve(server_context(certs().server));
  auto options = trusting_test_ca();
  options.ciphersuites = "TLS_AES_256_GCM_SHA384";
  connect(client_context(options));
  run_until([&] { return received_ == "hello"; });
  EXPECT_EQ(client_->tls()->description(), "TLSv1.3 TLS_AES_256_GCM_SHA384");
}

TEST_F(TlsTest, NoSuiteInCommonFailsTheHandshake) {
  serve(server_with_ciphers("TLS_AES_256_GCM_SHA384"));
  auto options = trusting_test_ca();
  options.ciphersuites = "TLS_CHACHA20_POLY1305_SHA256";
  connect(client_context(options));
  run_until([&] { return server_error_.has_value(); });
  EXPECT_EQ(server_error_->code, make_error_code(TlsErrc::handshake_failed));
  EXPECT_NE(server_error_->message.find("no shared cipher"), std::string::npos)
      << server_error_->message;
}

TEST(TlsContextTest, UnknownSuiteIsRefusedWithTheValidNames) {
  TlsClientOptions options;
  options.ciphersuites = "TLS_AES_128_GCM_SHA256:TLS_AES_512_GCM";
  auto ctx = TlsContext::client(options);
  ASSERT_FALSE(ctx.ok());
  EXPECT_EQ(ctx.error().code, make_error_code(TlsErrc::bad_setup));
  EXPECT_NE(ctx.error().message.find("unknown TLS 1.3 cipher suite 'TLS_AES_512_GCM'"),
            std::string::npos)
      << ctx.error().message;
  EXPECT_NE(ctx.error().message.find("TLS_CHACHA20_POLY1305_SHA256"), std::string::npos);
}

TEST_F(TlsTest, HostNameIsCheckedByName) {
  serve(server_context(certs().server));
  connect(client_context(trusting_test_ca()), "localhost");
  run_until([&] { return received_ == "hello"; });
}

TEST_F(TlsTest, ExpiredCertificateIsRejectedWithOpenSslReason) {
  serve(server_context(certs().expired));
  connect(client_context(trusting_test_ca()));
  expect_client_failure("certificate has expired");
}

TEST_F(TlsTest, WrongHostCertificateIsRejected) {
  serve(server_context(certs().wrong_host));
  connect(client_context(trusting_test_ca()));
  expect_client_failure("IP address mismatch");
}

TEST_F(TlsTest, WrongHostNameIsRejected) {
  serve(server_context(certs().wrong_host));
  connect(client_context(trusting_test_ca()), "localhost");
  expect_client_failure("hostname mismatch");
}

TEST_F(TlsTest, SelfSignedCertificateIsRejected) {
  serve(server_context(certs().self_signed));
  connect(client_context(trusting_test_ca()));
  expect_client_failure("self-signed certificate");
}

TEST_F(TlsTest, CertificateFromUntrustedCaIsRejected) {
  serve(server_context(certs().untrusted));
  connect(client_context(trusting_test_ca()));
  expect_client_failure("unable to get local issuer certificate");
}

TEST_F(TlsTest, SkippingVerificationAcceptsASelfSignedCertificate) {
  serve(server_context(certs().self_signed));
  TlsClientOptions options;
  options.verify = false;
  connect(client_context(options));
  run_until([&] { return received_ == "hello"; });
}

TEST_F(TlsTest, MutualTlsAcceptsAClientCertificateFromTheClientCa) {
  serve(server_context(certs().server, certs().ca_file));
  auto options = trusting_test_ca();
  options.cert_file = certs().client.cert;
  options.key_file = certs().client.key;
  connect(client_context(options));
  run_until([&] { return received_ == "hello"; });
  EXPECT_NE(server_peer_subject_.find("CN=tributary-agent"), std::string::npos);
}

TEST_F(TlsTest, MutualTlsRefusesAClientWithoutCertificate) {
  serve(server_context(certs().server, certs().ca_file));
  connect(client_context(trusting_test_ca()));
  run_until([&] { return server_error_.has_value(); });
  EXPECT_NE(server_error_->message.find("certificate"), std::string::npos)
      << server_error_->message;
  // TLS 1.3: the client learns it when it next reads.
  run_until([&] { return client_error_.has_value() || client_end_.has_value(); });
}

TEST_F(TlsTest, MutualTlsRefusesAClientCertificateFromAnotherCa) {
  serve(server_context(certs().server, certs().ca_file));
  auto options = trusting_test_ca();
  options.cert_file = certs().client_other_ca.cert;
  options.key_file = certs().client_other_ca.key;
  connect(client_context(options));
  run_until([&] { return server_error_.has_value(); });
  EXPECT_EQ(server_error_->code, make_error_code(TlsErrc::verify_failed));
  EXPECT_NE(server_error_->message.find("unable to get local issuer certificate"),
            std::string::npos)
      << server_error_->message;
}

// A server engine fed bytes directly, as the parent's sniffer does with its first read.
Result<std::string> feed_server(std::string_view bytes) {
  auto engine = TlsEngine::create(server_context(certs().server));
  if (!engine.ok()) return engine.take_error();
  TRIB_TRY((*engine)->feed(bytes));
  return std::string((*engine)->plaintext());
}

TEST(TlsEngineTest, GarbageRecordIsAHandshakeFailure) {
  const std::string garbage("\x16\x03\x01\x00\x05hello-not-a-client-hello", 30);
  auto result = feed_server(garbage);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, make_error_code(TlsErrc::handshake_failed));
}

TEST(TlsEngineTest, TruncatedRecordWaitsForMore) {
  // A record header announcing more bytes than came: not an error yet, just incomplete.
  const std::string truncated("\x16\x03\x01\x02\x00\x01\x00", 7);
  auto result = feed_server(truncated);
  ASSERT_TRUE(result.ok()) << result.error().describe();
  EXPECT_TRUE(result->empty());
}

TEST(TlsEngineTest, ConfigurationErrorsNameTheFile) {
  auto missing = TlsContext::server({"/nonexistent/cert.pem", "/nonexistent/key.pem", {}});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("/nonexistent/cert.pem"), std::string::npos);
  auto mismatched = TlsContext::server({certs().server.cert, certs().client.key, {}});
  ASSERT_FALSE(mismatched.ok());
  EXPECT_NE(mismatched.error().message.find(certs().client.key), std::string::npos)
      << mismatched.error().message;
  EXPECT_NE(mismatched.error().message.find("mismatch"), std::string::npos)
      << mismatched.error().message;
  TlsClientOptions half;
  half.cert_file = certs().client.cert;
  EXPECT_FALSE(TlsContext::client(half).ok());
}

TEST_F(TlsTest, TruncatedHandshakeThenCloseFailsCleanly) {
  serve(server_context(certs().server));
  std::unique_ptr<TcpConnection> raw;
  attempt_ = TcpConnect::start(loop_, "127.0.0.1", listener_->port(), 5s, [&](auto r) {
    ASSERT_TRUE(r.ok());
    raw = std::move(r).value();
    raw->write(std::string("\x16\x03\x01\x02\x00\x01\x00", 7), [&](const Status&) { raw.reset(); });
  });
  run_until([&] { return server_error_.has_value(); });
  EXPECT_NE(server_error_->message.find("closed"), std::string::npos) << server_error_->message;
}

}  // namespace
}  // namespace trib::net
