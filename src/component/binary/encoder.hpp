// Encoding of an ast::Component into a component binary (design/mvp/Binary.md, preamble 0x0d,
// layer 1): the inverse of decode() for what wit-component emits. Consecutive definitions of one
// section kind share a section; core modules are copied from the component's bytes.
//
// Not written (an Error names them): core module types, the 🪙 start section, value imports and
// exports, and canonical built-ins beyond lift, lower and resource.new/drop/rep.
#pragma once

#include <cstdint>
#include <vector>

#include "actr/common/result.hpp"
#include "component/ast.hpp"

namespace actr::component::binary {

Result<std::vector<uint8_t>> encode(const ast::Component& component);

// The bytes of one type definition as it appears in a type section: two definitions with equal
// bytes (in one index space) are the same type, which lets a writer share them.
Result<std::vector<uint8_t>> encode_type(const ast::TypeDef& type);

}  // namespace actr::component::binary
