// Component text or a WIT world to a component binary, for the component tests: the shared
// converter (support/text_converter.hpp) with the shape these tests use. Without node or jco they
// skip.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "support/missing.hpp"

namespace actr::test {

struct TextToBinary {
  std::optional<std::vector<uint8_t>> bytes;  // set on success
  bool tool_missing = false;                  // node or jco unavailable: skip
  std::string error;                          // the parser's message otherwise
};

TextToBinary component_from_text(const std::string& text);

// Converts many texts with one node process (uncached ones only), in order.
std::vector<TextToBinary> components_from_text(const std::vector<std::string>& texts);

// A component for the first `world` of a WIT document, with a dummy core module (wasm-tools
// `component embed --dummy` then `component new`): real wit-component output for any world.
TextToBinary component_from_wit(const std::string& wit);

std::optional<std::vector<uint8_t>> read_file_bytes(const std::string& path);

}  // namespace actr::test

// Converts `text` or skips the test when the tools are missing; fails it on a parse error.
#define ACTR_COMPONENT_FROM_TEXT(var, text)                         \
  std::vector<uint8_t> var;                                         \
  do {                                                              \
    auto actr_ctt_ = ::actr::test::component_from_text(text);       \
    if (actr_ctt_.tool_missing) ACTR_SKIP_MISSING(actr_ctt_.error); \
    ASSERT_TRUE(actr_ctt_.bytes.has_value()) << actr_ctt_.error;    \
    var = std::move(*actr_ctt_.bytes);                              \
  } while (0)
