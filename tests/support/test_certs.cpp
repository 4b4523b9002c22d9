#include "support/test_certs.h"

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

namespace trib::test {
namespace {

using KeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using CertPtr = std::unique_ptr<X509, decltype(&X509_free)>;

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "test_certs: %s failed\n", what);
  std::abort();
}

KeyPtr new_key() {
  KeyPtr key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  if (!key) die("EVP_EC_gen");
  return key;
}

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) die("X509V3_EXT_conf_nid");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

struct Spec {
  const char* common_name;
  const char* san = nullptr;  // subjectAltName, e.g. "IP:127.0.0.1,DNS:localhost"
  bool ca = false;
  bool client = false;
  long not_before_s = -3600;
  long not_after_s = 86400;
};

// Signed by (issuer, issuer_key), or by itself when issuer is null.
CertPtr make_cert(const Spec& spec, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key) {
  static long serial = 1;
  CertPtr cert(X509_new(), X509_free);
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial++);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), spec.not_before_s);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), spec.not_after_s);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(spec.common_name), -1, -1, 0);
  X509* signer = issuer != nullptr ? issuer : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
  if (spec.ca) {
    add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    add_extension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
    add_extension(cert.get(), signer, NID_ext_key_usage, spec.client ? "clientAuth" : "serverAuth");
  }
  add_extension(cert.get(), signer, NID_subject_key_identifier, "hash");
  if (spec.san != nullptr) add_extension(cert.get(), signer, NID_subject_alt_name, spec.san);
  if (X509_sign(cert.get(), issuer_key != nullptr ? issuer_key : key, EVP_sha256()) == 0) {
    die("X509_sign");
  }
  return cert;
}

void write_pem(const std::string& path, X509* cert) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr || PEM_write_X509(f, cert) != 1) die("writing a certificate");
  std::fclose(f);
}

void write_pem(const std::string& path, EVP_PKEY* key) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr || PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    die("writing a key");
  }
  std::fclose(f);
}

struct Authority {
  KeyPtr key = new_key();
  CertPtr cert{nullptr, X509_free};
};

Authority make_ca(const char* name) {
  Authority ca;
  ca.cert = make_cert(Spec{.common_name = name, .ca = true}, ca.key.get(), nullptr, nullptr);
  return ca;
}

CertFiles issue(const std::string& dir, const std::string& file, const Spec& spec,
                const Authority* ca) {
  KeyPtr key = new_key();
  CertPtr cert = make_cert(spec, key.get(), ca != nullptr ? ca->cert.get() : nullptr,
                           ca != nullptr ? ca->key.get() : nullptr);
  CertFiles out{dir + "/" + file + ".crt", dir + "/" + file + ".key"};
  write_pem(out.cert, cert.get());
  write_pem(out.key, key.get());
  return out;
}

constexpr const char* kLocalNames = "IP:127.0.0.1,IP:::1,DNS:localhost";

}  // namespace

TestCerts::TestCerts(const std::string& dir) {
  const Authority ca = make_ca("Tributary Test CA");
  const Authority other = make_ca("Some Other CA");
  ca_file = dir + "/ca.crt";
  other_ca_file = dir + "/other-ca.crt";
  write_pem(ca_file, ca.cert.get());
  write_pem(other_ca_file, other.cert.get());
  server = issue(dir, "server", {.common_name = "localhost", .san = kLocalNames}, &ca);
  expired = issue(dir, "expired",
                  {.common_name = "localhost",
                   .san = kLocalNames,
                   .not_before_s = -2 * 86400,
                   .not_after_s = -86400},
                  &ca);
  wrong_host =
      issue(dir, "wrong-host", {.common_name = "elsewhere", .san = "DNS:elsewhere.example"}, &ca);
  self_signed =
      issue(dir, "self-signed", {.common_name = "localhost", .san = kLocalNames}, nullptr);
  untrusted = issue(dir, "untrusted", {.common_name = "localhost", .san = kLocalNames}, &other);
  client = issue(dir, "client", {.common_name = "tributary-agent", .client = true}, &ca);
  client_other_ca =
      issue(dir, "client-other-ca", {.common_name = "tributary-agent", .client = true}, &other);
}

}  // namespace trib::test
