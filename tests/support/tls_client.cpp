#include "support/tls_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <array>
#include <memory>

namespace trib::test {
namespace {

int connect_with_timeout(uint16_t port, std::chrono::milliseconds timeout) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

std::string openssl_reason(SSL* ssl) {
  const long verify = SSL_get_verify_result(ssl);
  if (verify != X509_V_OK) return X509_verify_cert_error_string(verify);
  std::array<char, 256> text{};
  ERR_error_string_n(ERR_get_error(), text.data(), text.size());
  return text.data();
}

}  // namespace

TlsExchange tls_exchange(uint16_t port, const std::string& ca_file, const std::string& bytes,
                         const CertFiles* client, std::chrono::milliseconds timeout) {
  TlsExchange out;
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()),
                                                        SSL_CTX_free);
  SSL_CTX_load_verify_locations(ctx.get(), ca_file.c_str(), nullptr);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  if (client != nullptr) {
    SSL_CTX_use_certificate_chain_file(ctx.get(), client->cert.c_str());
    SSL_CTX_use_PrivateKey_file(ctx.get(), client->key.c_str(), SSL_FILETYPE_PEM);
  }
  const int fd = connect_with_timeout(port, timeout);
  if (fd < 0) {
    out.error = "cannot connect";
    return out;
  }
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(ctx.get()), SSL_free);
  X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl.get()), "127.0.0.1");
  SSL_set_fd(ssl.get(), fd);
  if (SSL_connect(ssl.get()) != 1) {
    out.error = openssl_reason(ssl.get());
    ::close(fd);
    return out;
  }
  out.handshake_ok = true;
  if (SSL_write(ssl.get(), bytes.data(), static_cast<int>(bytes.size())) <= 0) {
    out.error = openssl_reason(ssl.get());
  }
  std::array<char, 16384> buffer{};
  for (;;) {
    const int n = SSL_read(ssl.get(), buffer.data(), static_cast<int>(buffer.size()));
    if (n <= 0) {
      // TLS 1.3 sends a refused client certificate's alert after the client's Finished.
      if (out.error.empty() && SSL_get_error(ssl.get(), n) == SSL_ERROR_SSL) {
        out.error = openssl_reason(ssl.get());
      }
      break;
    }
    out.received.append(buffer.data(), static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

}  // namespace trib::test
