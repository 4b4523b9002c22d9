// The agent's way to TLS: the OpenSSL backend loaded from libtrib_tls.so (tls_backend.h). The
// other TLS tests run on the backend linked into the test binary; these go through the module
// built beside tributary-agent.
#include <gtest/gtest.h>

#include "common/net/tls.h"
#include "common/net/tls_backend.h"
#include "support/process.h"
#include "support/test_certs.h"

namespace trib::net {
namespace {

const test::TestCerts& certs() {
  static test::TempDir dir;
  static test::TestCerts made(dir.path());
  return made;
}

const TlsBackend& module_backend() {
  static const TlsBackend* backend = [] {
    auto loaded = load_tls_module(std::string(TRIB_BINARY_DIR) + "/" + kTlsModuleFile);
    EXPECT_TRUE(loaded.ok()) << loaded.error().describe();
    return loaded.ok() ? *loaded : nullptr;
  }();
  return *backend;
}

// Moves each side's output to the other until neither has anything to say.
void exchange(TlsEngine& client, TlsEngine& server, std::string& to_client,
              std::string& to_server) {
  for (int round = 0; round < 10; ++round) {
    const std::string from_client = client.take_output();
    const std::string from_server = server.take_output();
    if (from_client.empty() && from_server.empty()) return;
    ASSERT_TRUE(server.feed(from_client).ok());
    to_server.append(server.plaintext());
    ASSERT_TRUE(client.feed(from_server).ok());
    to_client.append(client.plaintext());
  }
}

TEST(TlsModuleTest, HandshakesAndCarriesDataInBothDirections) {
  const TlsBackend& backend = module_backend();
  auto server_context = backend.server_context({certs().server.cert, certs().server.key, {}});
  ASSERT_TRUE(server_context.ok()) << server_context.error().describe();
  auto client_context = backend.client_context({.ca_file = certs().ca_file});
  ASSERT_TRUE(client_context.ok()) << client_context.error().describe();
  auto server = backend.engine(*server_context, "");
  auto client = backend.engine(*client_context, "127.0.0.1");
  ASSERT_TRUE(server.ok() && client.ok());
  std::string to_client, to_server;
  ASSERT_TRUE((*client)->begin().ok());
  exchange(**client, **server, to_client, to_server);
  ASSERT_TRUE((*client)->handshake_done() && (*server)->handshake_done());
  EXPECT_EQ((*client)->description().rfind("TLSv1.3 ", 0), 0u) << (*client)->description();
  ASSERT_TRUE((*client)->encrypt("STREAM key=...").ok());
  ASSERT_TRUE((*server)->encrypt("OK").ok());
  exchange(**client, **server, to_client, to_server);
  EXPECT_EQ(to_server, "STREAM key=...");
  EXPECT_EQ(to_client, "OK");
}

TEST(TlsModuleTest, ErrorsCarryTheHostsCategories) {
  const TlsBackend& backend = module_backend();
  auto missing = backend.server_context({"/nonexistent/cert.pem", "/nonexistent/key.pem", {}});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, make_error_code(TlsErrc::bad_setup));
  EXPECT_NE(missing.error().message.find("/nonexistent/cert.pem"), std::string::npos);
}

TEST(TlsModuleTest, AFileThatIsNotAModuleIsAnErrorNamingIt) {
  test::TempDir dir;
  const std::string fake = dir / "libtrib_tls.so";
  test::write_file(fake, "not an ELF file\n");
  auto loaded = load_tls_module(fake);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code, make_error_code(TlsErrc::bad_setup));
  EXPECT_NE(loaded.error().message.find(fake), std::string::npos) << loaded.error().message;
}

}  // namespace
}  // namespace trib::net
