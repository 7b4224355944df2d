// Conversions between actr::wasm types and values and their wabt interpreter counterparts.
#pragma once

#include <bit>
#include <cstdint>
#include <string>

#include "actr/common/result.hpp"
#include "actr/wasm/types.hpp"
#include "wabt/interp/interp.h"

namespace actr::wasm::interp {

namespace wi = wabt::interp;

// Fails for types that cannot cross the host boundary (v128 and the like).
Result<ValType> from_wabt(wi::ValueType type);
Result<FuncType> from_wabt(const wi::FuncType& type);
Result<ExternType> from_wabt(const wi::ExternType& type);
Limits from_wabt(const wabt::Limits& limits);

wi::ValueType to_wabt(ValType type);
wi::FuncType to_wabt(const FuncType& type);

// Reference slots carry the wabt object index of the reference; 0 is null.
inline wi::Value to_value(ValType type, Slot slot) {
  switch (type) {
    case ValType::I32:
      return wi::Value::Make(static_cast<uint32_t>(slot));
    case ValType::I64:
      return wi::Value::Make(static_cast<uint64_t>(slot));
    case ValType::F32:
      return wi::Value::Make(std::bit_cast<float>(static_cast<uint32_t>(slot)));
    case ValType::F64:
      return wi::Value::Make(std::bit_cast<double>(slot));
    case ValType::FuncRef:
    case ValType::ExternRef:
      return wi::Value::Make(wi::Ref{static_cast<size_t>(slot)});
  }
  return {};
}

inline Slot to_slot(ValType type, const wi::Value& value) {
  switch (type) {
    case ValType::I32:
      return value.Get<uint32_t>();
    case ValType::I64:
      return value.Get<uint64_t>();
    case ValType::F32:
      return std::bit_cast<uint32_t>(value.Get<float>());
    case ValType::F64:
      return std::bit_cast<uint64_t>(value.Get<double>());
    case ValType::FuncRef:
    case ValType::ExternRef:
      return value.Get<wi::Ref>().index;
  }
  return 0;
}

}  // namespace actr::wasm::interp
