#include "common/net/openssl/tls_openssl.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstring>
#include <utility>
#include <vector>

namespace trib::net {
namespace {

// OpenSSL's error queue as one line (and emptied, so the next operation starts clean).
std::string drain_openssl_errors() {
  std::string out;
  while (const unsigned long code = ERR_get_error()) {
    std::array<char, 256> text{};
    const char* reason = ERR_reason_error_string(code);
    if (reason == nullptr) {
      ERR_error_string_n(code, text.data(), text.size());
      reason = text.data();
    }
    if (!out.empty()) out += "; ";
    out += reason;
  }
  return out.empty() ? "no detail from OpenSSL" : out;
}

// OpenSSL's read BIO for a TlsEngine: reads the ciphertext given to feed() where it lies. A
// memory BIO would first copy it (and zero the space it copies into): in profiles of the
// parent's TLS ingest that was as much work as the decryption.
long ciphertext_ctrl(BIO* bio, int cmd, long, void*);
int ciphertext_read(BIO* bio, char* out, int size);

const BIO_METHOD* ciphertext_method() {
  static BIO_METHOD* const method = [] {
    BIO_METHOD* m =
        BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "tributary ciphertext");
    if (m != nullptr) {
      BIO_meth_set_read(m, ciphertext_read);
      BIO_meth_set_ctrl(m, ciphertext_ctrl);
    }
    return m;
  }();
  return method;
}

// The write side (new_append_bio): OpenSSL's records appended to a std::string.
int append_write(BIO* bio, const char* in, int size) {
  BIO_clear_retry_flags(bio);
  if (size <= 0) return 0;
  static_cast<std::string*>(BIO_get_data(bio))->append(in, static_cast<size_t>(size));
  return size;
}

long append_ctrl(BIO*, int cmd, long, void*) { return cmd == BIO_CTRL_FLUSH ? 1 : 0; }

const BIO_METHOD* append_method() {
  static BIO_METHOD* const method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "tributary append");
    if (m != nullptr) {
      BIO_meth_set_write(m, append_write);
      BIO_meth_set_ctrl(m, append_ctrl);
    }
    return m;
  }();
  return method;
}

// The most plaintext one TLS record carries (RFC 8446 5.1; OpenSSL keeps to it).
constexpr size_t kMaxRecordPlaintext = 16 * 1024;
// What a record adds to its plaintext, at most, with the AEAD suites offered: TLS 1.3 header 5
// + content type 1 + tag 16; TLS 1.2 GCM header 5 + explicit nonce 8 + tag 16.
constexpr size_t kMaxRecordOverhead = 32;

// Ciphertext not yet read by OpenSSL: `fresh` is the caller's buffer for the duration of one
// feed(); what OpenSSL leaves of it (a partial record) is copied to `carry` for the next one.
struct CiphertextInput {
  std::string carry;
  size_t carry_pos = 0;
  std::string_view fresh;

  size_t pending() const { return carry.size() - carry_pos + fresh.size(); }

  size_t read(char* out, size_t size) {
    // Only non-empty copies: an empty string_view's data() may be null (UBSan: memcpy).
    size_t n = std::min(size, carry.size() - carry_pos);
    if (n != 0) std::memcpy(out, carry.data() + carry_pos, n);
    carry_pos += n;
    if (carry_pos == carry.size()) {
      carry.clear();
      carry_pos = 0;
    }
    const size_t from_fresh = std::min(size - n, fresh.size());
    if (from_fresh != 0) std::memcpy(out + n, fresh.data(), from_fresh);
    fresh.remove_prefix(from_fresh);
    return n + from_fresh;
  }

  // The caller's buffer goes away when feed() returns.
  void keep_unread() {
    if (fresh.empty()) return;
    carry.erase(0, carry_pos);
    carry_pos = 0;
    carry.append(fresh);
    fresh = {};
  }
};

int ciphertext_read(BIO* bio, char* out, int size) {
  BIO_clear_retry_flags(bio);
  auto* input = static_cast<CiphertextInput*>(BIO_get_data(bio));
  const size_t n = size > 0 ? input->read(out, static_cast<size_t>(size)) : 0;
  if (n == 0) {
    BIO_set_retry_read(bio);  // no data yet, not EOF
    return -1;
  }
  return static_cast<int>(n);
}

long ciphertext_ctrl(BIO* bio, int cmd, long, void*) {
  switch (cmd) {
    case BIO_CTRL_PENDING:
      return static_cast<long>(static_cast<CiphertextInput*>(BIO_get_data(bio))->pending());
    case BIO_CTRL_FLUSH:
      return 1;
    default:
      return 0;
  }
}

Error setup_error(const std::string& what) {
  return Error(TlsErrc::bad_setup, what + ": " + drain_openssl_errors());
}

struct CtxDeleter {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
using CtxPtr = std::unique_ptr<SSL_CTX, CtxDeleter>;

Result<CtxPtr> new_context(bool server) {
  ERR_clear_error();
  CtxPtr ctx(SSL_CTX_new(server ? TLS_server_method() : TLS_client_method()));
  if (!ctx) return setup_error("cannot create a TLS context");
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  // Writes may be split and retried with a different buffer: the engine hands OpenSSL
  // std::string memory that moves.
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_ENABLE_PARTIAL_WRITE);
  return ctx;
}

std::vector<std::string_view> split_list(std::string_view list) {
  std::vector<std::string_view> names;
  while (!list.empty()) {
    const size_t colon = list.find(':');
    names.push_back(list.substr(0, colon));
    list = colon == std::string_view::npos ? std::string_view{} : list.substr(colon + 1);
  }
  return names;
}

// The TLS 1.3 suites `ctx` would offer, by their standard names.
std::vector<std::string> tls13_suites(SSL_CTX* ctx) {
  std::vector<std::string> names;
  STACK_OF(SSL_CIPHER)* ciphers = SSL_CTX_get_ciphers(ctx);
  for (int i = 0; i < sk_SSL_CIPHER_num(ciphers); ++i) {
    const SSL_CIPHER* cipher = sk_SSL_CIPHER_value(ciphers, i);
    if (std::string_view(SSL_CIPHER_get_version(cipher)) == "TLSv1.3") {
      names.emplace_back(SSL_CIPHER_standard_name(cipher));
    }
  }
  return names;
}

// Every TLS 1.3 suite OpenSSL implements, for the error message.
constexpr const char* kTls13Suites =
    "TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256, "
    "TLS_AES_128_CCM_SHA256, TLS_AES_128_CCM_8_SHA256";

// Sets the TLS 1.3 suites, most preferred first. OpenSSL skips names it does not know; a
// typo in a configuration is better refused with the names that would work.
Status use_ciphersuites(SSL_CTX* ctx, std::string_view configured) {
  const std::string list(configured.empty() ? kDefaultCiphersuites : configured);
  ERR_clear_error();
  if (SSL_CTX_set_ciphersuites(ctx, list.c_str()) != 1) {
    return setup_error("cannot use the TLS 1.3 cipher suites '" + list + "'");
  }
  const std::vector<std::string> known = tls13_suites(ctx);
  for (const std::string_view name : split_list(list)) {
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      return Error(TlsErrc::bad_setup, "unknown TLS 1.3 cipher suite '" + std::string(name) +
                                           "' in '" + list + "'; valid: " + kTls13Suites);
    }
  }
  return ok_status();
}

Status use_certificate(SSL_CTX* ctx, const std::string& cert_file, const std::string& key_file) {
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1) {
    return setup_error("cannot load the certificate '" + cert_file + "'");
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return setup_error("cannot load the private key '" + key_file + "'");
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return setup_error("the key '" + key_file + "' does not belong to the certificate '" +
                       cert_file + "'");
  }
  return ok_status();
}

bool is_ip_address(const std::string& host) {
  return host.find(':') != std::string::npos ||
         host.find_first_not_of("0123456789.") == std::string::npos;
}

}  // namespace

Status expect_peer_name(SSL* ssl, const std::string& server_name) {
  if (is_ip_address(server_name)) {
    if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), server_name.c_str()) != 1) {
      return setup_error("cannot check certificates against the address '" + server_name + "'");
    }
    return ok_status();
  }
  SSL_set_tlsext_host_name(ssl, server_name.c_str());
  if (SSL_set1_host(ssl, server_name.c_str()) != 1) {
    return setup_error("cannot check certificates against the name '" + server_name + "'");
  }
  return ok_status();
}

Error tls_failure(SSL* ssl, bool verifies_peer, int ssl_result, std::string_view doing) {
  const long verify = SSL_get_verify_result(ssl);
  if (verify != X509_V_OK && verifies_peer) {
    ERR_clear_error();
    return Error(TlsErrc::verify_failed, std::string(doing) + ": certificate verify failed: " +
                                             X509_verify_cert_error_string(verify));
  }
  const int code = SSL_get_error(ssl, ssl_result);
  std::string detail = code == SSL_ERROR_SYSCALL && ERR_peek_error() == 0
                           ? "unexpected end of the TLS stream"
                           : drain_openssl_errors();
  return Error(TlsErrc::handshake_failed, std::string(doing) + ": " + detail);
}

namespace {

class OpenSslContext final : public TlsContext {
 public:
  OpenSslContext(SSL_CTX* ctx, bool server, bool verify_peer)
      : TlsContext(server, verify_peer), ctx_(ctx) {}
  ~OpenSslContext() override { SSL_CTX_free(ctx_); }
  SSL_CTX* raw() const { return ctx_; }

 private:
  SSL_CTX* ctx_;
};

class OpenSslEngine final : public TlsEngine {
 public:
  static Result<std::unique_ptr<TlsEngine>> create(std::shared_ptr<const OpenSslContext> context,
                                                   const std::string& server_name);
  ~OpenSslEngine() override { SSL_free(ssl_); }

  Status feed(std::string_view ciphertext) override;
  std::string_view plaintext() const override { return {plain_.get(), plain_size_}; }
  Status begin() override;
  bool handshake_done() const override { return handshake_done_; }
  Status encrypt(std::string_view plaintext) override;
  std::string take_output() override;
  std::string description() const override;
  std::string peer_subject() const override;

 private:
  OpenSslEngine(std::shared_ptr<const OpenSslContext> context, SSL* ssl);
  Status advance_handshake();
  Status read_plaintext();
  Status consume();
  void make_room_for_a_record();
  Error failure(int ssl_result, std::string_view doing) const;

  std::shared_ptr<const OpenSslContext> context_;
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

Result<std::shared_ptr<TlsContext>> client_context(const TlsClientOptions& options) {
  TRIB_ASSIGN_OR_RETURN(CtxPtr ctx, new_context(false));
  TRIB_TRY(use_ciphersuites(ctx.get(), options.ciphersuites));
  if (options.verify) {
    if (options.ca_file.empty() && options.ca_path.empty()) {
      if (SSL_CTX_set_default_verify_paths(ctx.get()) != 1) {
        return setup_error("cannot load the system's CA certificates");
      }
    } else if (SSL_CTX_load_verify_locations(
                   ctx.get(), options.ca_file.empty() ? nullptr : options.ca_file.c_str(),
                   options.ca_path.empty() ? nullptr : options.ca_path.c_str()) != 1) {
      return setup_error("cannot load CAfile '" + options.ca_file + "' / CApath '" +
                         options.ca_path + "'");
    }
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  } else {
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  }
  if (!options.cert_file.empty() || !options.key_file.empty()) {
    if (options.cert_file.empty() || options.key_file.empty()) {
      return Error(TlsErrc::bad_setup,
                   "a client certificate needs both 'ssl certificate' and 'ssl key'");
    }
    TRIB_TRY(use_certificate(ctx.get(), options.cert_file, options.key_file));
  }
  return std::shared_ptr<TlsContext>(new OpenSslContext(ctx.release(), false, options.verify));
}

Result<std::shared_ptr<TlsContext>> server_context(const TlsServerOptions& options) {
  TRIB_ASSIGN_OR_RETURN(CtxPtr ctx, new_context(true));
  TRIB_TRY(use_certificate(ctx.get(), options.cert_file, options.key_file));
  TRIB_TRY(use_ciphersuites(ctx.get(), options.ciphersuites));
  // The parent's order decides: a stock client (OpenSSL puts AES-256 first) gets AES-128 too.
  SSL_CTX_set_options(ctx.get(), SSL_OP_CIPHER_SERVER_PREFERENCE);
  const bool mutual = !options.client_ca.empty();
  if (mutual) {
    if (SSL_CTX_load_verify_locations(ctx.get(), options.client_ca.c_str(), nullptr) != 1) {
      return setup_error("cannot load the client CA '" + options.client_ca + "'");
    }
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(options.client_ca.c_str());
    if (names != nullptr) SSL_CTX_set_client_CA_list(ctx.get(), names);
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  return std::shared_ptr<TlsContext>(new OpenSslContext(ctx.release(), true, mutual));
}

Result<std::unique_ptr<TlsEngine>> OpenSslEngine::create(
    std::shared_ptr<const OpenSslContext> context, const std::string& server_name) {
  ERR_clear_error();
  SSL* ssl = SSL_new(context->raw());
  if (ssl == nullptr) return setup_error("cannot create a TLS connection");
  std::unique_ptr<OpenSslEngine> engine(new OpenSslEngine(std::move(context), ssl));
  const BIO_METHOD* method = ciphertext_method();
  BIO* in = method != nullptr ? BIO_new(method) : nullptr;
  BIO* out = new_append_bio(&engine->output_);
  if (in == nullptr || out == nullptr) {
    BIO_free(in);
    BIO_free(out);
    return setup_error("cannot create TLS buffers");
  }
  BIO_set_data(in, engine->input_.get());
  BIO_set_init(in, 1);
  SSL_set_bio(ssl, in, out);
  if (engine->context_->is_server()) {
    SSL_set_accept_state(ssl);
    return std::unique_ptr<TlsEngine>(std::move(engine));
  }
  SSL_set_connect_state(ssl);
  if (!server_name.empty()) TRIB_TRY(expect_peer_name(ssl, server_name));
  return std::unique_ptr<TlsEngine>(std::move(engine));
}

OpenSslEngine::OpenSslEngine(std::shared_ptr<const OpenSslContext> context, SSL* ssl)
    : context_(std::move(context)), ssl_(ssl), input_(std::make_unique<CiphertextInput>()) {}

Error OpenSslEngine::failure(int ssl_result, std::string_view doing) const {
  return tls_failure(ssl_, context_->verifies_peer(), ssl_result, doing);
}

Status OpenSslEngine::begin() {
  if (handshake_done_) return ok_status();
  return advance_handshake();
}

Status OpenSslEngine::advance_handshake() {
  ERR_clear_error();
  const int rc = SSL_do_handshake(ssl_);
  if (rc == 1) {
    handshake_done_ = true;
    return ok_status();
  }
  const int code = SSL_get_error(ssl_, rc);
  if (code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE) return ok_status();
  return failure(rc, "TLS handshake");
}

// Decrypts into plain_, which has room for a whole record before every SSL_read (SSL_read
// returns at most one record): OpenSSL writes the plaintext where the caller will read it.
Status OpenSslEngine::read_plaintext() {
  for (;;) {
    make_room_for_a_record();
    ERR_clear_error();
    const size_t room = std::min<size_t>(plain_capacity_ - plain_size_, INT_MAX);
    const int n = SSL_read(ssl_, plain_.get() + plain_size_, static_cast<int>(room));
    if (n > 0) {
      plain_size_ += static_cast<size_t>(n);
      continue;
    }
    const int code = SSL_get_error(ssl_, n);
    if (code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE) return ok_status();
    if (code == SSL_ERROR_ZERO_RETURN) {
      return Error(Errc::closed, "the peer closed the TLS session");
    }
    return failure(n, "TLS read");
  }
}

// Grows plain_ (keeping what it holds) when a record might not fit: to what the ciphertext
// still waiting can decrypt to, so a socket read's worth needs one allocation, the first time.
void OpenSslEngine::make_room_for_a_record() {
  if (plain_capacity_ - plain_size_ >= kMaxRecordPlaintext) return;
  const size_t capacity =
      std::max(2 * plain_capacity_, plain_size_ + input_->pending() + kMaxRecordPlaintext);
  auto grown = std::make_unique_for_overwrite<char[]>(capacity);
  if (plain_size_ != 0) std::memcpy(grown.get(), plain_.get(), plain_size_);
  plain_ = std::move(grown);
  plain_capacity_ = capacity;
}

Status OpenSslEngine::feed(std::string_view ciphertext) {
  input_->fresh = ciphertext;
  plain_size_ = 0;
  Status status = consume();
  input_->keep_unread();
  return status;
}

Status OpenSslEngine::consume() {
  if (!handshake_done_) {
    TRIB_TRY(advance_handshake());
    if (!handshake_done_) return ok_status();
  }
  // Application data that came with (or after) the handshake's last flight.
  return read_plaintext();
}

Status OpenSslEngine::encrypt(std::string_view plaintext) {
  // One allocation for all the records, not the string doubling its way up.
  const size_t records = (plaintext.size() + kMaxRecordPlaintext - 1) / kMaxRecordPlaintext;
  output_.reserve(output_.size() + plaintext.size() + records * kMaxRecordOverhead);
  while (!plaintext.empty()) {
    ERR_clear_error();
    const int n = SSL_write(ssl_, plaintext.data(), static_cast<int>(plaintext.size()));
    if (n <= 0) return failure(n, "TLS write");
    plaintext.remove_prefix(static_cast<size_t>(n));
  }
  return ok_status();
}

std::string OpenSslEngine::take_output() { return std::exchange(output_, {}); }

std::string OpenSslEngine::description() const {
  return std::string(SSL_get_version(ssl_)) + " " + SSL_get_cipher_name(ssl_);
}

std::string OpenSslEngine::peer_subject() const {
  X509* cert = SSL_get1_peer_certificate(ssl_);
  if (cert == nullptr) return {};
  std::array<char, 256> name{};
  X509_NAME_oneline(X509_get_subject_name(cert), name.data(), static_cast<int>(name.size()));
  X509_free(cert);
  return name.data();
}

class OpenSslBackend final : public TlsBackend {
 public:
  Result<std::shared_ptr<TlsContext>> client_context(
      const TlsClientOptions& options) const override {
    return net::client_context(options);
  }
  Result<std::shared_ptr<TlsContext>> server_context(
      const TlsServerOptions& options) const override {
    return net::server_context(options);
  }
  Result<std::unique_ptr<TlsEngine>> engine(std::shared_ptr<const TlsContext> context,
                                            const std::string& server_name) const override {
    auto own = std::dynamic_pointer_cast<const OpenSslContext>(std::move(context));
    if (!own) return Error(TlsErrc::bad_setup, "a TLS context from another TLS backend");
    return OpenSslEngine::create(std::move(own), server_name);
  }
};

}  // namespace

const TlsBackend& openssl_tls_backend() {
  static const OpenSslBackend backend;
  return backend;
}

BIO* new_append_bio(std::string* sink) {
  const BIO_METHOD* method = append_method();
  BIO* bio = method != nullptr ? BIO_new(method) : nullptr;
  if (bio == nullptr) return nullptr;
  BIO_set_data(bio, sink);
  BIO_set_init(bio, 1);
  return bio;
}

SSL_CTX* openssl_context(const TlsContext& context) {
  const auto* own = dynamic_cast<const OpenSslContext*>(&context);
  return own != nullptr ? own->raw() : nullptr;
}

}  // namespace trib::net
