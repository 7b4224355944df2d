// actr::Result<T>: a value or an Error, for fallible operations that must not throw across
// the guest boundary (and whose failures are ordinary, e.g. malformed input).
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace actr {

// A failure with a human-readable, one-line message. `code` is a layer-specific
// classification (e.g. actr::wasm::TrapKind for guest traps); 0 means "unclassified".
struct Error {
  std::string message;
  int code = 0;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { assert(!ok()); return std::get<1>(v_); }
  Error&& take_error() { assert(!ok()); return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { assert(!ok_); return error_; }
  Error&& take_error() { assert(!ok_); return std::move(error_); }

 private:
  Error error_;
  bool ok_ = true;
};

inline Error make_error(std::string message, int code = 0) { return Error{std::move(message), code}; }

}  // namespace actr

// Propagates the error of a Result-returning expression; otherwise yields nothing.
#define ACTR_TRY_VOID(expr)                          \
  do {                                               \
    auto actr_try_r_ = (expr);                       \
    if (!actr_try_r_.ok()) return actr_try_r_.take_error(); \
  } while (0)

// Binds the value of a Result-returning expression to `decl`, or propagates its error.
#define ACTR_CONCAT_INNER_(a, b) a##b
#define ACTR_CONCAT_(a, b) ACTR_CONCAT_INNER_(a, b)
#define ACTR_TRY(decl, expr) ACTR_TRY_IMPL_(ACTR_CONCAT_(actr_try_, __LINE__), decl, expr)
#define ACTR_TRY_IMPL_(tmp, decl, expr)          \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return tmp.take_error();        \
  decl = std::move(tmp).value()
