// Test binaries use the OpenSSL backend linked in, installed before main() runs. The agent's
// own path, loading it as a module, is covered by tests/common/net/tls_module_test.cpp and by
// the integration tests, which run the real tributary-agent.
#include "common/net/openssl/tls_openssl.h"

namespace {
const bool kOpenSslInstalled = [] {
  trib::net::use_tls_backend(trib::net::openssl_tls_backend());
  return true;
}();
}  // namespace
