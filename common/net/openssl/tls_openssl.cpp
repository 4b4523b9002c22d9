#include "common/net/openssl/tls_openssl.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <array>
#include <cstring>

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

  Status feed(std::string_view ciphertext, std::string& plaintext) override;
  Status begin() override;
  bool handshake_done() const override { return handshake_done_; }
  Status encrypt(std::string_view plaintext) override;
  std::string take_output() override;
  std::string description() const override;
  std::string peer_subject() const override;

 private:
  OpenSslEngine(std::shared_ptr<const OpenSslContext> context, SSL* ssl);
  Status advance_handshake();
  Status read_plaintext(std::string& plaintext);
  Status consume(std::string& plaintext);
  Error failure(int ssl_result, std::string_view doing) const;

  std::shared_ptr<const OpenSslContext> context_;
  SSL* ssl_;
  std::unique_ptr<CiphertextInput> input_;  // read by ssl_'s read BIO
  bool handshake_done_ = false;
};

Result<std::shared_ptr<TlsContext>> client_context(const TlsClientOptions& options) {
  TRIB_ASSIGN_OR_RETURN(CtxPtr ctx, new_context(false));
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
  BIO* out = BIO_new(BIO_s_mem());
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

Status OpenSslEngine::read_plaintext(std::string& plaintext) {
  // One record's worth (SSL_read returns at most a record). Not zeroed: SSL_read writes what it
  // returns, and clearing 16 KiB per record showed in profiles of the parent's TLS ingest.
  std::array<char, 16 * 1024> chunk;  // NOLINT(cppcoreguidelines-pro-type-member-init)
  for (;;) {
    ERR_clear_error();
    const int n = SSL_read(ssl_, chunk.data(), static_cast<int>(chunk.size()));
    if (n > 0) {
      plaintext.append(chunk.data(), static_cast<size_t>(n));
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

Status OpenSslEngine::feed(std::string_view ciphertext, std::string& plaintext) {
  input_->fresh = ciphertext;
  // The plaintext is a little shorter than the ciphertext: one allocation instead of the
  // string doubling (and copying) its way up a record at a time.
  plaintext.reserve(plaintext.size() + input_->pending());
  Status status = consume(plaintext);
  input_->keep_unread();
  return status;
}

Status OpenSslEngine::consume(std::string& plaintext) {
  if (!handshake_done_) {
    TRIB_TRY(advance_handshake());
    if (!handshake_done_) return ok_status();
  }
  // Application data that came with (or after) the handshake's last flight.
  return read_plaintext(plaintext);
}

Status OpenSslEngine::encrypt(std::string_view plaintext) {
  while (!plaintext.empty()) {
    ERR_clear_error();
    const int n = SSL_write(ssl_, plaintext.data(), static_cast<int>(plaintext.size()));
    if (n <= 0) return failure(n, "TLS write");
    plaintext.remove_prefix(static_cast<size_t>(n));
  }
  return ok_status();
}

std::string OpenSslEngine::take_output() {
  BIO* out = SSL_get_wbio(ssl_);
  std::string bytes(static_cast<size_t>(BIO_ctrl_pending(out)), '\0');
  if (!bytes.empty()) {
    const int n = BIO_read(out, bytes.data(), static_cast<int>(bytes.size()));
    bytes.resize(n > 0 ? static_cast<size_t>(n) : 0);
  }
  return bytes;
}

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

SSL_CTX* openssl_context(const TlsContext& context) {
  const auto* own = dynamic_cast<const OpenSslContext*>(&context);
  return own != nullptr ? own->raw() : nullptr;
}

}  // namespace trib::net
