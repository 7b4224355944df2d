// wasm -> C through libwabt, in process: read (debug names off), validate, write C as wasm2c does.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "actr/common/result.hpp"

namespace actr::wasm::aot {

struct CTranslation {
  std::string source;  // includes "<header_name>"
  std::string header;
  size_t defined_functions = 0;  // the module's own functions: the definitions in `source`
  // C statements registering the instance's own tags (instance_tags.hpp); run by the glue.
  std::string tag_registrations;
};

// The aot engine accepts wabt's default features without SIMD (wasm2c 1.0.32 cannot translate
// it), plus exception handling (legacy try/catch; try_table is lowered to it first).
// Validates `bytes`; errors read "at byte 0x1f: <reason>".
Result<void> validate_module(std::span<const uint8_t> bytes);

// The export the translation adds for defined table ('T'), memory ('M') or global ('g') `index`
// (in its index space, imports first), so that wasm2c writes an accessor for it.
std::string defined_export_name(char kind, size_t index);

// Validates and translates. `module_name` becomes the C symbol prefix (Z_<name>_...).
Result<CTranslation> translate_to_c(std::span<const uint8_t> bytes, const std::string& module_name,
                                    const std::string& header_name);

}  // namespace actr::wasm::aot
