#pragma once
// TLS with OpenSSL over in-memory BIOs: no I/O of its own, so it runs over any byte transport.
// TcpConnection::start_tls() puts a TlsEngine between the socket and the connection's users,
// who then read and write plaintext through the same interface as before.
//
// - TlsContext: an immutable SSL_CTX (certificates, CAs, verification policy), shared by every
//   connection made with it. Safe to share across loops once built; rebuilt, not changed, on
//   reload (a connection keeps the context it started with).
// - TlsEngine: one connection's SSL object. Owned by the TcpConnection, used on its loop.

#include <memory>
#include <string>
#include <string_view>
#include <system_error>

#include "common/base/result.h"

using SSL_CTX = struct ssl_ctx_st;
using SSL = struct ssl_st;
using BIO = struct bio_st;

namespace trib::net {

struct CiphertextInput;  // tls.cpp: the engine's read side, which OpenSSL reads in place

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
  static Result<std::shared_ptr<TlsContext>> client(const TlsClientOptions& options);
  static Result<std::shared_ptr<TlsContext>> server(const TlsServerOptions& options);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  bool is_server() const { return server_; }
  bool verifies_peer() const { return verify_peer_; }
  SSL_CTX* raw() const { return ctx_; }

 private:
  TlsContext(SSL_CTX* ctx, bool server, bool verify_peer)
      : ctx_(ctx), server_(server), verify_peer_(verify_peer) {}
  SSL_CTX* ctx_;
  bool server_;
  bool verify_peer_;
};

class TlsEngine {
 public:
  // `server_name` (client side): the name or address the certificate must match, and the SNI
  // sent when it is a name.
  static Result<std::unique_ptr<TlsEngine>> create(std::shared_ptr<const TlsContext> context,
                                                   const std::string& server_name = {});
  ~TlsEngine();
  TlsEngine(const TlsEngine&) = delete;
  TlsEngine& operator=(const TlsEngine&) = delete;

  // Takes ciphertext from the peer; advances the handshake and decrypts any application data
  // it carried into plaintext(). An error is final: the connection must be closed (after
  // sending take_output(), which then holds the alert); plaintext() still holds what came
  // before it (data ahead of a close_notify belongs to the stream).
  Status feed(std::string_view ciphertext);
  // The application data of the last feed(), in the engine's own buffer (decrypted there by
  // OpenSSL, not copied again): valid until the next feed().
  std::string_view plaintext() const { return {plain_.get(), plain_size_}; }
  // Starts the handshake (the client's first flight); the output is in take_output().
  Status begin();
  bool handshake_done() const { return handshake_done_; }
  // Encrypts application data (only once the handshake is done); output in take_output().
  Status encrypt(std::string_view plaintext);
  // Ciphertext waiting to be sent to the peer. OpenSSL writes its records straight into this
  // string, which is handed over as it is (a socket write request can own it).
  std::string take_output();

  // After the handshake: protocol and cipher ("TLSv1.3 TLS_AES_256_GCM_SHA384"), and the
  // subject of the peer's certificate, if it sent one.
  std::string description() const;
  std::string peer_subject() const;

 private:
  TlsEngine(std::shared_ptr<const TlsContext> context, SSL* ssl);
  Status advance_handshake();
  Status read_plaintext();
  Status consume();
  void make_room_for_a_record();
  Error failure(int ssl_result, std::string_view doing) const;

  std::shared_ptr<const TlsContext> context_;
  SSL* ssl_;
  std::unique_ptr<CiphertextInput> input_;  // read by ssl_'s read BIO
  std::string output_;                      // appended to by ssl_'s write BIO
  // Decrypted application data of the current feed(); grown on demand, never zeroed, kept
  // between feeds (about a socket read's worth plus a record).
  std::unique_ptr<char[]> plain_;
  size_t plain_capacity_ = 0;
  size_t plain_size_ = 0;
  bool handshake_done_ = false;
};

// For code that drives OpenSSL over its own non-blocking socket instead of a TlsEngine
// (tributary-loadgen's poll() loop): the same peer-name check and the same error texts.
//
// Makes the client `ssl` check the server's certificate against `server_name` (an IP address
// or a host name) and send it as SNI when it is a name.
Status expect_peer_name(SSL* ssl, const std::string& server_name);
// The error for an OpenSSL call on `ssl` that returned `ssl_result`: the certificate's verify
// reason when verification (`verifies_peer`) is what failed, else OpenSSL's error queue.
Error tls_failure(SSL* ssl, bool verifies_peer, int ssl_result, std::string_view doing);

// A write BIO that appends what OpenSSL writes to `*sink` (which must outlive it): records go
// straight into the buffer that is sent, where a memory BIO would hold them for a second copy.
// For the loadgen's own OpenSSL loop; a TlsEngine uses one for take_output().
BIO* new_append_bio(std::string* sink);

// The first byte of a TLS connection is a record type (handshake 0x16; Netdata treats
// anything up to 0x17 as TLS), never a printable character as HTTP and STREAM start with.
constexpr bool looks_like_tls(unsigned char first_byte) { return first_byte <= 0x17; }

}  // namespace trib::net

template <>
struct std::is_error_code_enum<trib::net::TlsErrc> : std::true_type {};
