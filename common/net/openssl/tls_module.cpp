// libtrib_tls.so: the OpenSSL backend as a module the agent loads on first TLS use
// (tls_backend.h). Built with hidden visibility: only the entry point is exported, and nothing
// of trib_common is linked in; the two functions below stand in for the host's, so that errors
// made here carry the host's error categories.
#include <cstring>

#include "common/net/openssl/tls_openssl.h"
#include "trib_version.h"

namespace trib {
namespace {
const std::error_category* host_trib_category = nullptr;
const std::error_category* host_tls_category = nullptr;
}  // namespace

std::error_code make_error_code(Errc e) noexcept {
  return {static_cast<int>(e), *host_trib_category};
}

namespace net {
std::error_code make_error_code(TlsErrc e) noexcept {
  return {static_cast<int>(e), *host_tls_category};
}
}  // namespace net
}  // namespace trib

extern "C" __attribute__((visibility("default"))) const trib::net::TlsBackend*
trib_tls_module_entry(const trib::net::TlsModuleHost& host) {
  if (host.abi != trib::net::kTlsModuleAbi || std::strcmp(host.version, trib::kVersion) != 0) {
    return nullptr;
  }
  trib::host_trib_category = host.trib_category;
  trib::host_tls_category = host.tls_category;
  return &trib::net::openssl_tls_backend();
}
