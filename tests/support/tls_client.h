#pragma once
// A blocking TLS client for integration tests: talks to a parent's TLS port the way curl
// would, checking its certificate against a test CA.

#include <chrono>
#include <cstdint>
#include <string>

#include "support/test_certs.h"

namespace trib::test {

struct TlsExchange {
  bool handshake_ok = false;
  std::string error;     // OpenSSL's reason when the handshake failed
  std::string received;  // everything read until the peer closed or the timeout passed
};

// Connects to 127.0.0.1:port, verifies the server against `ca_file` (and the address
// 127.0.0.1), optionally presents `client`, sends `bytes` and reads until close.
TlsExchange tls_exchange(uint16_t port, const std::string& ca_file, const std::string& bytes,
                         const CertFiles* client = nullptr,
                         std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace trib::test
