#include "wasi/host.hpp"

namespace actr::wasi {

Result<component::Value> Host::stream_error(const StreamError& error) const {
  using component::Value;
  if (error.kind == StreamError::Kind::Closed) {
    return Value::variant(static_cast<uint32_t>(StreamErrorCase::Closed));
  }
  ACTR_TRY(Value handle,
           give(state().errors, resources.error, WasiState::IoError{error.message, error.fs_code}));
  return Value::variant(static_cast<uint32_t>(StreamErrorCase::LastOperationFailed),
                        std::move(handle));
}

}  // namespace actr::wasi
