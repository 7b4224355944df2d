// Why a wasi:io stream operation failed, before it becomes a `stream-error` value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace actr::wasi {

struct StreamError {
  enum class Kind { LastOperationFailed, Closed };
  Kind kind = Kind::Closed;
  std::string message;  // LastOperationFailed: the debug string of its `error` resource
  // A failed file operation: its wasi:filesystem error-code (filesystem-error-code).
  std::optional<uint32_t> fs_code;

  static StreamError closed() { return {Kind::Closed, {}, std::nullopt}; }
  static StreamError failed(std::string message, std::optional<uint32_t> fs_code = {}) {
    return {Kind::LastOperationFailed, std::move(message), fs_code};
  }
};

}  // namespace actr::wasi
