// Why a wasi:io stream operation failed, before it becomes a `stream-error` value.
#pragma once

#include <string>

namespace actr::wasi {

struct StreamError {
  enum class Kind { LastOperationFailed, Closed };
  Kind kind = Kind::Closed;
  std::string message;  // LastOperationFailed: the debug string of its `error` resource

  static StreamError closed() { return {Kind::Closed, {}}; }
  static StreamError failed(std::string message) {
    return {Kind::LastOperationFailed, std::move(message)};
  }
};

}  // namespace actr::wasi
