// Direct access to an aot memory's live base pointer and byte size, for hot paths that re-read
// them after every guest call (the component layer's GuestMemory): two loads instead of two
// virtual calls through wasm::Memory.
#pragma once

#include <cstdint>
#include <optional>

#include "actr/wasm/engine.hpp"

namespace actr::wasm::aot {

// Valid while the memory lives; the pointed-to values change when the memory grows.
struct MemoryFields {
  uint8_t* const* data;
  const uint32_t* size;  // bytes (at most 65535 pages, so it fits)
};

// nullopt when `memory` does not belong to the aot engine.
std::optional<MemoryFields> memory_fields(const Memory& memory);

}  // namespace actr::wasm::aot
