#pragma once
// Error values for everything that can fail in Tributary. Project code never throws: it returns
// Result<T> (result.h) carrying an Error, which is a std::error_code (so libuv, zstd, OpenSSL,
// LMDB, ... keep their own categories) plus a message a user can act on.

#include <string>
#include <system_error>

namespace trib {

// Tributary's own conditions, for errors that do not come from a library.
enum class Errc {
  ok = 0,
  invalid_argument,  // a caller passed something malformed
  parse_error,       // bytes or text that do not follow their grammar
  config_error,      // a configuration file or value is wrong
  not_found,         // a named thing does not exist
  already_exists,    // a unique thing is already there
  refused,           // a peer or a policy said no (auth, admission)
  limit_exceeded,    // a size, rate or count bound was hit
  protocol_error,    // a peer broke the wire protocol
  timeout,           // a deadline passed
  closed,            // the other side or the object is gone
  io_error,          // a file or socket operation failed
  unsupported,       // valid, but not implemented here
};

const std::error_category& trib_category() noexcept;
std::error_code make_error_code(Errc e) noexcept;

// libuv's negative error numbers, with uv_strerror() messages.
const std::error_category& uv_category() noexcept;
std::error_code uv_error(int uv_status) noexcept;

// zstd's size_t error results, with ZSTD_getErrorName() messages.
const std::error_category& zstd_category() noexcept;
std::error_code zstd_error(size_t zstd_result) noexcept;

struct Error {
  std::error_code code;
  std::string message;  // context: what was being done, on what

  Error() = default;
  Error(std::error_code c, std::string msg) : code(c), message(std::move(msg)) {}
  Error(Errc e, std::string msg) : code(make_error_code(e)), message(std::move(msg)) {}

  // "message: category text" or just the message when the code adds nothing.
  [[nodiscard]] std::string describe() const;
  [[nodiscard]] bool is(Errc e) const { return code == make_error_code(e); }
};

}  // namespace trib

template <>
struct std::is_error_code_enum<trib::Errc> : std::true_type {};
