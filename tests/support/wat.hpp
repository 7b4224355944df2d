// WebAssembly text -> binary for tests, through libwabt's WAT parser and binary writer.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace actr::test {

// Parses `wat` (one module, all features wabt enables by default) and encodes it. The module is
// not validated, so tests can build deliberately invalid binaries. On a parse error the calling
// test fails with wabt's diagnostics and an empty vector is returned.
std::vector<uint8_t> wat_to_wasm(std::string_view wat);

}  // namespace actr::test
