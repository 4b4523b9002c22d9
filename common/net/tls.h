#pragma once
// TLS with OpenSSL over in-memory BIOs: no I/O of its own, so it runs over any byte transport.
// TcpConnection::start_tls() puts a TlsEngine between the socket and the connection's users,
// who then read and write plaintext through the same interface as before.
//
// - TlsContext: an immutable SSL_CTX (certificates, CAs, verification policy), shared by every
//   connection made with it. Safe to share across loops once built; rebuilt, not changed, on
//   reload (a connection keeps the context it started with).
// - TlsEngine: one connection's SSL object. Owned by the TcpConnection, used on its loop.
//
// Both are interfaces: OpenSSL itself is behind a TlsBackend (tls_backend.h), linked into the
// parent and loaded by the agent from a module the first time it needs TLS, so that an agent
// without a TLS destination never maps libssl and libcrypto.

#include <memory>
#include <string>
#include <string_view>
#include <system_error>

#include "common/base/result.h"

namespace trib::net {

// TLS 1.3 cipher suites, most preferred first, when the configuration names none. AES-128-GCM
// first, as Go's and most TLS stacks' defaults: with AES-NI about a fifth cheaper per byte
// than AES-256-GCM (OpenSSL's own first choice), and the stream is bulk data.
inline constexpr std::string_view kDefaultCiphersuites =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";

// OpenSSL failures: the error code says what kind, the message carries OpenSSL's own reason
// (for a certificate, X509_verify_cert_error_string(): "certificate has expired", ...).
enum class TlsErrc {
  bad_setup = 1,    // a certificate, key or CA file could not be loaded
  verify_failed,    // the peer's certificate was not accepted
  handshake_failed  // any other handshake failure (alert, wrong version, garbage)
};
const std::error_category& tls_category() noexcept;
std::error_code make_error_code(TlsErrc e) noexcept;

struct TlsClientOptions {
  bool verify = true;     // `ssl skip certificate verification = no`
  std::string ca_file;    // `CAfile`; with ca_path empty too, the system's default CAs
  std::string ca_path;    // `CApath`
  std::string cert_file;  // `ssl certificate`: the client certificate (mutual TLS)
  std::string key_file;   // `ssl key`
  // `tls ciphers`: TLS 1.3 suites offered, in order of preference ("A:B:C"); empty: the default.
  // (`= {}`: brace-initializations that name only the fields before it stay warning-free.)
  std::string ciphersuites = {};
  bool operator==(const TlsClientOptions&) const = default;
};

struct TlsServerOptions {
  std::string cert_file;  // PEM chain, leaf first
  std::string key_file;
  std::string client_ca;  // when set, every client must present a certificate signed by it
  // `tls.ciphers`: TLS 1.3 suites accepted, in the server's order of preference (it picks the
  // first the client also offers, whatever the client's order); empty: the default.
  std::string ciphersuites = {};
  bool operator==(const TlsServerOptions&) const = default;
};

class TlsContext {
 public:
  // Built by the TLS backend (tls_backend.h); the first call may load it.
  static Result<std::shared_ptr<TlsContext>> client(const TlsClientOptions& options);
  static Result<std::shared_ptr<TlsContext>> server(const TlsServerOptions& options);
  virtual ~TlsContext() = default;
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  bool is_server() const { return server_; }
  bool verifies_peer() const { return verify_peer_; }

 protected:
  TlsContext(bool server, bool verify_peer) : server_(server), verify_peer_(verify_peer) {}

 private:
  bool server_;
  bool verify_peer_;
};

class TlsEngine {
 public:
  // `server_name` (client side): the name or address the certificate must match, and the SNI
  // sent when it is a name. `context` comes from the same backend (TlsContext::client/server).
  static Result<std::unique_ptr<TlsEngine>> create(std::shared_ptr<const TlsContext> context,
                                                   const std::string& server_name = {});
  virtual ~TlsEngine() = default;
  TlsEngine(const TlsEngine&) = delete;
  TlsEngine& operator=(const TlsEngine&) = delete;

  // Takes ciphertext from the peer; advances the handshake and decrypts any application data
  // it carried into plaintext(). An error is final: the connection must be closed (after
  // sending take_output(), which then holds the alert); plaintext() still holds what came
  // before it (data ahead of a close_notify belongs to the stream).
  virtual Status feed(std::string_view ciphertext) = 0;
  // The application data of the last feed(), in the engine's own buffer (decrypted there, not
  // copied again): valid until the next feed().
  virtual std::string_view plaintext() const = 0;
  // Starts the handshake (the client's first flight); the output is in take_output().
  virtual Status begin() = 0;
  virtual bool handshake_done() const = 0;
  // Encrypts application data (only once the handshake is done); output in take_output().
  virtual Status encrypt(std::string_view plaintext) = 0;
  // Ciphertext waiting to be sent to the peer: the records are written straight into this
  // string, which is handed over as it is (a socket write request can own it).
  virtual std::string take_output() = 0;

  // After the handshake: protocol and cipher ("TLSv1.3 TLS_AES_256_GCM_SHA384"), and the
  // subject of the peer's certificate, if it sent one.
  virtual std::string description() const = 0;
  virtual std::string peer_subject() const = 0;

 protected:
  TlsEngine() = default;
};

// The first byte of a TLS connection is a record type (handshake 0x16; Netdata treats
// anything up to 0x17 as TLS), never a printable character as HTTP and STREAM start with.
constexpr bool looks_like_tls(unsigned char first_byte) { return first_byte <= 0x17; }

}  // namespace trib::net

template <>
struct std::is_error_code_enum<trib::net::TlsErrc> : std::true_type {};
