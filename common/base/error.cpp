#include "common/base/error.h"

#include <uv.h>
#include <zstd.h>
#include <zstd_errors.h>

namespace trib {
namespace {

class TribCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "tributary"; }
  std::string message(int ev) const override {
    switch (static_cast<Errc>(ev)) {
      case Errc::ok:
        return "ok";
      case Errc::invalid_argument:
        return "invalid argument";
      case Errc::parse_error:
        return "parse error";
      case Errc::config_error:
        return "configuration error";
      case Errc::not_found:
        return "not found";
      case Errc::already_exists:
        return "already exists";
      case Errc::refused:
        return "refused";
      case Errc::limit_exceeded:
        return "limit exceeded";
      case Errc::protocol_error:
        return "protocol error";
      case Errc::timeout:
        return "timed out";
      case Errc::closed:
        return "closed";
      case Errc::io_error:
        return "I/O error";
      case Errc::unsupported:
        return "unsupported";
    }
    return "unknown error";
  }
};

class UvCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "libuv"; }
  std::string message(int ev) const override { return uv_strerror(-ev); }
};

class ZstdCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "zstd"; }
  std::string message(int ev) const override {
    return ZSTD_getErrorString(static_cast<ZSTD_ErrorCode>(ev));
  }
};

}  // namespace

const std::error_category& trib_category() noexcept {
  static const TribCategory category;
  return category;
}
std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), trib_category()}; }

const std::error_category& uv_category() noexcept {
  static const UvCategory category;
  return category;
}
// libuv errors are negative; error_code wants a non-zero value, so store the magnitude.
std::error_code uv_error(int uv_status) noexcept { return {-uv_status, uv_category()}; }

const std::error_category& zstd_category() noexcept {
  static const ZstdCategory category;
  return category;
}
std::error_code zstd_error(size_t zstd_result) noexcept {
  return {static_cast<int>(ZSTD_getErrorCode(zstd_result)), zstd_category()};
}

std::string Error::describe() const {
  if (!code || code.category() == trib_category()) return message;
  return message + ": " + code.message();
}

}  // namespace trib
