#include "wasm/interp/type_convert.hpp"

namespace actr::wasm::interp {

Result<ValType> from_wabt(wi::ValueType type) {
  switch (type) {
    case wabt::Type::I32:
      return ValType::I32;
    case wabt::Type::I64:
      return ValType::I64;
    case wabt::Type::F32:
      return ValType::F32;
    case wabt::Type::F64:
      return ValType::F64;
    case wabt::Type::FuncRef:
      return ValType::FuncRef;
    case wabt::Type::ExternRef:
      return ValType::ExternRef;
    default:
      return make_error("value type " + type.GetName() + " cannot cross the host boundary");
  }
}

Result<FuncType> from_wabt(const wi::FuncType& type) {
  FuncType out;
  for (auto t : type.params) {
    ACTR_TRY(ValType v, from_wabt(t));
    out.params.push_back(v);
  }
  for (auto t : type.results) {
    ACTR_TRY(ValType v, from_wabt(t));
    out.results.push_back(v);
  }
  return out;
}

Limits from_wabt(const wabt::Limits& limits) {
  Limits out;
  out.min = limits.initial;
  if (limits.has_max) out.max = limits.max;
  return out;
}

Result<ExternType> from_wabt(const wi::ExternType& type) {
  ExternType out;
  switch (type.kind) {
    case wabt::ExternalKind::Func: {
      out.kind = ExternKind::Func;
      ACTR_TRY(out.func, from_wabt(static_cast<const wi::FuncType&>(type)));
      return out;
    }
    case wabt::ExternalKind::Table: {
      const auto& table = static_cast<const wi::TableType&>(type);
      out.kind = ExternKind::Table;
      ACTR_TRY(out.table.elem, from_wabt(table.element));
      out.table.limits = from_wabt(table.limits);
      return out;
    }
    case wabt::ExternalKind::Memory: {
      const auto& memory = static_cast<const wi::MemoryType&>(type);
      if (memory.limits.is_64) return make_error("64-bit memories are not supported");
      if (memory.limits.is_shared) return make_error("shared memories are not supported");
      out.kind = ExternKind::Memory;
      out.memory.limits = from_wabt(memory.limits);
      return out;
    }
    case wabt::ExternalKind::Global: {
      const auto& global = static_cast<const wi::GlobalType&>(type);
      out.kind = ExternKind::Global;
      ACTR_TRY(out.global.type, from_wabt(global.type));
      out.global.is_mutable = global.mut == wi::Mutability::Var;
      return out;
    }
    case wabt::ExternalKind::Tag: {
      const auto& tag = static_cast<const wi::TagType&>(type);
      out.kind = ExternKind::Tag;
      for (auto t : tag.signature) {
        ACTR_TRY(ValType v, from_wabt(t));
        out.tag.params.push_back(v);
      }
      return out;
    }
  }
  return make_error("unknown extern kind");
}

wi::ValueType to_wabt(ValType type) {
  switch (type) {
    case ValType::I32:
      return wabt::Type::I32;
    case ValType::I64:
      return wabt::Type::I64;
    case ValType::F32:
      return wabt::Type::F32;
    case ValType::F64:
      return wabt::Type::F64;
    case ValType::FuncRef:
      return wabt::Type::FuncRef;
    case ValType::ExternRef:
      return wabt::Type::ExternRef;
  }
  return wabt::Type::Void;
}

wi::FuncType to_wabt(const FuncType& type) {
  wi::ValueTypes params, results;
  for (auto t : type.params) params.push_back(to_wabt(t));
  for (auto t : type.results) results.push_back(to_wabt(t));
  return wi::FuncType(std::move(params), std::move(results));
}

}  // namespace actr::wasm::interp
