// Decoding of component binaries (design/mvp/Binary.md, preamble version 0x0d, layer 1) into the
// ast::Component that the validator checks and the linker replays.
//
// Every section the standard tools emit is decoded (wit-component, `jco new`,
// wasm-component-ld); core module bodies are not decoded beyond their type, import, function,
// table, memory, global and export sections (the engine validates the rest). Canonical built-ins
// of the async, thread and error-context proposals decode as Canon::Kind::Unsupported so that the
// validator can reject them by name. Value sections (🪙) and core tags are rejected here.
//
// Malformed input yields an Error "at byte 0x<offset>: <reason>" (offsets from the start of the
// outermost binary). Lengths are checked against the remaining bytes before anything is allocated,
// and nesting (components in components, types in types) is bounded, so no input can crash the
// decoder or make it allocate more than a small multiple of the input size.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "actr/common/result.hpp"
#include "component/ast.hpp"

namespace actr::component::binary {

// Decodes a copy of `bytes`.
Result<std::shared_ptr<const ast::Component>> decode(std::span<const uint8_t> bytes);

// Decodes `bytes` without copying them: the result (and every nested component) keeps them alive
// and core module definitions are views into them.
Result<std::shared_ptr<const ast::Component>> decode(
    std::shared_ptr<const std::vector<uint8_t>> bytes);

// True if `bytes` start with the component preamble (as opposed to a core module's).
bool is_component(std::span<const uint8_t> bytes);

// The bytes of a CoreModule definition, as a view into `component.bytes`.
std::span<const uint8_t> module_bytes(const ast::Component& component, const ast::Definition& def);

}  // namespace actr::component::binary
