// actr::Result<T>: a value or an Error, for fallible operations that must not throw across
// the guest boundary (and whose failures are ordinary, e.g. malformed input).
#pragma once

#include <cassert>
#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace actr {

// Who classified an error. `Error::code` means something only within its category, and only
// the layer that owns a category reads its codes (through that layer's helpers).
enum class ErrorCategory : uint8_t {
  None,              // a plain failure: the message is all there is
  Trap,              // a guest call trapped; code: wasm::TrapKind (wasm/trap.hpp)
  GuestExit,         // the guest called wasi:cli/exit; code: its exit status (wasi/exit_status.hpp)
  Mailbox,           // the mailbox store; code: runtime::MailboxErrorCode
  Signaling,         // the signaling client's own failures; code: signaling::SignalingErrorCode
  SignalingRefused,  // the signaling server refused a request; code: its proto::Error::Code
  Credential,        // a credential was refused; code: signaling::CredentialError
};

// A failure with a human-readable, one-line message, classified by `category` and `code`.
struct Error {
  std::string message;
  ErrorCategory category = ErrorCategory::None;
  int code = 0;

  bool is(ErrorCategory c) const { return category == c; }
  // True for the given category and code (an enum of that category).
  template <class Code>
  bool is(ErrorCategory c, Code value) const {
    return category == c && code == static_cast<int>(value);
  }
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
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
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }
  Error&& take_error() {
    assert(!ok());
    return std::get<1>(std::move(v_));
  }

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
  const Error& error() const {
    assert(!ok_);
    return error_;
  }
  Error&& take_error() {
    assert(!ok_);
    return std::move(error_);
  }

 private:
  Error error_;
  bool ok_ = true;
};

inline Error make_error(std::string message) { return Error{std::move(message)}; }
template <class Code>
Error make_error(std::string message, ErrorCategory category, Code code) {
  return Error{std::move(message), category, static_cast<int>(code)};
}

}  // namespace actr

// Propagates the error of a Result-returning expression; otherwise yields nothing.
#define ACTR_TRY_VOID(expr)                                 \
  do {                                                      \
    auto actr_try_r_ = (expr);                              \
    if (!actr_try_r_.ok()) return actr_try_r_.take_error(); \
  } while (0)

// Binds the value of a Result-returning expression to `decl`, or propagates its error.
#define ACTR_CONCAT_INNER_(a, b) a##b
#define ACTR_CONCAT_(a, b) ACTR_CONCAT_INNER_(a, b)
#define ACTR_TRY(decl, expr) ACTR_TRY_IMPL_(ACTR_CONCAT_(actr_try_, __LINE__), decl, expr)
#define ACTR_TRY_IMPL_(tmp, decl, expr)   \
  auto tmp = (expr);                      \
  if (!tmp.ok()) return tmp.take_error(); \
  decl = std::move(tmp).value()
