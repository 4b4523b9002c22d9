#pragma once
// Result<T>: a value or an Error, in the spirit of C++23 std::expected (g++ 12 in C++20 mode has
// none). Use TRIB_TRY to propagate errors without ceremony.

#include <cassert>
#include <utility>
#include <variant>

#include "common/base/error.h"

namespace trib {

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)
  Result(Errc e, std::string msg) : v_(Error(e, std::move(msg))) {}

  [[nodiscard]] bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }
  Error&& take_error() {
    assert(!ok());
    return std::get<1>(std::move(v_));
  }

  template <class U>
  T value_or(U&& fallback) const& {
    return ok() ? value() : T(std::forward<U>(fallback));
  }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), failed_(true) {}  // NOLINT
  Result(Errc e, std::string msg) : error_(e, std::move(msg)), failed_(true) {}

  [[nodiscard]] bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const Error& error() const {
    assert(failed_);
    return error_;
  }
  Error&& take_error() {
    assert(failed_);
    return std::move(error_);
  }

 private:
  Error error_;
  bool failed_ = false;
};

using Status = Result<void>;

inline Status ok_status() { return {}; }

}  // namespace trib

// Evaluates a Result-returning expression; on error returns that error from the enclosing
// function. Usable only where the enclosing function returns a Result.
#define TRIB_TRY(expr)                                                \
  do {                                                                \
    auto trib_try_result_ = (expr);                                   \
    if (!trib_try_result_.ok()) return trib_try_result_.take_error(); \
  } while (0)

// Binds the value of a Result-returning expression to `decl`, or returns its error.
#define TRIB_ASSIGN_OR_RETURN(decl, expr) \
  TRIB_ASSIGN_OR_RETURN_IMPL(TRIB_CONCAT(trib_r_, __LINE__), decl, expr)
#define TRIB_CONCAT_INNER(a, b) a##b
#define TRIB_CONCAT(a, b) TRIB_CONCAT_INNER(a, b)
#define TRIB_ASSIGN_OR_RETURN_IMPL(tmp, decl, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.take_error();           \
  decl = std::move(tmp).value()
