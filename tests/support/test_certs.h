#pragma once
// Certificates for TLS tests, made on the fly with OpenSSL's C API (no openssl(1), no files in
// the repository that expire): a CA, a server certificate for 127.0.0.1/localhost, and the bad
// ones every TLS test needs (expired, wrong host, self-signed, from another CA), plus client
// certificates for mutual TLS. EC P-256 keys keep generation fast (a few ms each).

#include <string>

namespace trib::test {

struct CertFiles {
  std::string cert;  // PEM path
  std::string key;   // PEM path
};

// Everything is written under `dir` (which must exist) when the object is built.
class TestCerts {
 public:
  explicit TestCerts(const std::string& dir);

  std::string ca_file;        // the trusted CA's certificate
  std::string other_ca_file;  // a second CA nobody trusts by default
  CertFiles server;           // by the CA, SAN 127.0.0.1, ::1, localhost
  CertFiles expired;          // by the CA, right names, expired yesterday
  CertFiles wrong_host;       // by the CA, SAN only "elsewhere.example"
  CertFiles self_signed;      // right names, signs itself
  CertFiles untrusted;        // right names, by the other CA
  CertFiles client;           // by the CA, a client certificate (CN tributary-agent)
  CertFiles client_other_ca;  // by the other CA
};

}  // namespace trib::test
