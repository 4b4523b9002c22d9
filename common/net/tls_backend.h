#pragma once
// Where OpenSSL lives. TlsContext and TlsEngine (tls.h) are interfaces; a TlsBackend makes
// them. The OpenSSL backend (common/net/openssl/) is either linked in and installed with
// use_tls_backend() (the parent, tributary-loadgen, tests), or loaded on first use from the
// module libtrib_tls.so (the agent): libssl and libcrypto cost an agent about 1.7 MiB of RSS
// just by being mapped and relocated, and most agents stream in plaintext.

#include <memory>
#include <string>
#include <system_error>

#include "common/base/result.h"
#include "common/net/tls.h"

namespace trib::net {

class TlsBackend {
 public:
  virtual ~TlsBackend() = default;
  virtual Result<std::shared_ptr<TlsContext>> client_context(
      const TlsClientOptions& options) const = 0;
  virtual Result<std::shared_ptr<TlsContext>> server_context(
      const TlsServerOptions& options) const = 0;
  // `context` was made by this backend.
  virtual Result<std::unique_ptr<TlsEngine>> engine(std::shared_ptr<const TlsContext> context,
                                                    const std::string& server_name) const = 0;
};

// Makes `backend` the one every TlsContext and TlsEngine come from. Call it before the first TLS
// use; `backend` must outlive every context and engine.
void use_tls_backend(const TlsBackend& backend);

// The backend in use: the one given to use_tls_backend(), else the module, loaded on the first
// call (and kept) from the first of: $TRIB_TLS_MODULE, libtrib_tls.so beside the executable
// (the build tree), ../lib/tributary/libtrib_tls.so from it (installed: PREFIX/bin and
// PREFIX/lib/tributary). Thread-safe; a failed load is retried on the next call.
Result<const TlsBackend*> tls_backend();

// Loads the TLS module at `path`; it stays loaded for the life of the process.
Result<const TlsBackend*> load_tls_module(const std::string& path);

// The module's ABI: one exported C function, given what the host shares with it. A module from
// another build (version or ABI number differ) is refused rather than called.
inline constexpr int kTlsModuleAbi = 2;
inline constexpr const char* kTlsModuleFile = "libtrib_tls.so";
inline constexpr const char* kTlsModuleEntry = "trib_tls_module_entry";
struct TlsModuleHost {
  int abi;
  const char* version;
  // Errors made in the module carry the host's categories, so that `error.is(Errc::closed)`
  // and comparisons with TlsErrc work as for errors made in the host.
  const std::error_category* trib_category;
  const std::error_category* tls_category;
};
using TlsModuleEntry = const TlsBackend* (*)(const TlsModuleHost& host);

}  // namespace trib::net
