#include "common/net/tls.h"

#include <dlfcn.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <vector>

#include "common/log/log.h"
#include "common/net/tls_backend.h"
#include "trib_version.h"

namespace trib::net {
namespace {

class TlsCategory : public std::error_category {
 public:
  const char* name() const noexcept override { return "tls"; }
  std::string message(int code) const override {
    switch (static_cast<TlsErrc>(code)) {
      case TlsErrc::bad_setup:
        return "TLS set-up failed";
      case TlsErrc::verify_failed:
        return "certificate verification failed";
      case TlsErrc::handshake_failed:
        return "TLS handshake failed";
    }
    return "TLS error";
  }
};

std::atomic<const TlsBackend*> installed_backend{nullptr};

std::string executable_dir() {
  std::array<char, 4096> self{};
  const ssize_t n = ::readlink("/proc/self/exe", self.data(), self.size() - 1);
  if (n <= 0) return {};
  return std::filesystem::path(std::string(self.data(), static_cast<size_t>(n)))
      .parent_path()
      .string();
}

// Where tls_backend() looks for the module, in order.
std::vector<std::string> module_candidates() {
  std::vector<std::string> paths;
  if (const char* env = std::getenv("TRIB_TLS_MODULE"); env != nullptr && *env != '\0') {
    paths.emplace_back(env);
    return paths;  // explicit: nothing else is tried
  }
  if (const std::string dir = executable_dir(); !dir.empty()) {
    paths.push_back(dir + "/" + kTlsModuleFile);                   // the build tree
    paths.push_back(dir + "/../lib/tributary/" + kTlsModuleFile);  // installed: PREFIX/bin/..
  }
  return paths;
}

Result<const TlsBackend*> load_first_module() {
  std::string failures;
  for (const std::string& path : module_candidates()) {
    std::error_code missing;
    if (!std::filesystem::exists(path, missing)) {
      failures += "; " + path + ": no such file";
      continue;
    }
    return load_tls_module(path);  // a module that is there but broken is not skipped
  }
  return Error(TlsErrc::bad_setup,
               std::string("TLS is not available: cannot find the TLS module") + failures);
}

}  // namespace

const std::error_category& tls_category() noexcept {
  static const TlsCategory category;
  return category;
}

std::error_code make_error_code(TlsErrc e) noexcept {
  return {static_cast<int>(e), tls_category()};
}

void use_tls_backend(const TlsBackend& backend) { installed_backend.store(&backend); }

Result<const TlsBackend*> load_tls_module(const std::string& path) {
  // RTLD_LOCAL: OpenSSL's symbols stay out of the global namespace; the module is never closed
  // (contexts and engines it made may live until exit).
  void* module = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (module == nullptr) {
    const char* why = ::dlerror();
    return Error(TlsErrc::bad_setup,
                 "cannot load the TLS module '" + path + "': " + (why ? why : "unknown error"));
  }
  auto entry = reinterpret_cast<TlsModuleEntry>(::dlsym(module, kTlsModuleEntry));
  if (entry == nullptr) {
    return Error(TlsErrc::bad_setup,
                 "'" + path + "' is not a Tributary TLS module (no " + kTlsModuleEntry + ")");
  }
  const TlsModuleHost host{kTlsModuleAbi, kVersion, &trib_category(), &tls_category()};
  const TlsBackend* backend = entry(host);
  if (backend == nullptr) {
    return Error(TlsErrc::bad_setup, "the TLS module '" + path +
                                         "' is from another build of Tributary (this is " +
                                         kVersion + "): install the matching one");
  }
  TRIB_LOG(main, info, "TLS: loaded {}", path);
  return backend;
}

Result<const TlsBackend*> tls_backend() {
  if (const TlsBackend* backend = installed_backend.load()) return backend;
  static std::mutex loading;
  std::lock_guard lock(loading);
  if (const TlsBackend* backend = installed_backend.load()) return backend;
  TRIB_ASSIGN_OR_RETURN(const TlsBackend* loaded, load_first_module());
  installed_backend.store(loaded);
  return loaded;
}

Result<std::shared_ptr<TlsContext>> TlsContext::client(const TlsClientOptions& options) {
  TRIB_ASSIGN_OR_RETURN(const TlsBackend* backend, tls_backend());
  return backend->client_context(options);
}

Result<std::shared_ptr<TlsContext>> TlsContext::server(const TlsServerOptions& options) {
  TRIB_ASSIGN_OR_RETURN(const TlsBackend* backend, tls_backend());
  return backend->server_context(options);
}

Result<std::unique_ptr<TlsEngine>> TlsEngine::create(std::shared_ptr<const TlsContext> context,
                                                     const std::string& server_name) {
  TRIB_ASSIGN_OR_RETURN(const TlsBackend* backend, tls_backend());
  return backend->engine(std::move(context), server_name);
}

}  // namespace trib::net
