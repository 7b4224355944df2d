// Component text -> binary, through the wasm-tools `parse` bundled in the npm package jco
// (tools/wast/wat2component.mjs), with a content-addressed cache on disk. Converting a whole
// script at once costs one node start-up (~0.15 s) instead of one per component (~0.25 s each
// with `jco parse`), and a warm cache costs nothing.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace actr::conformance {

struct TextConverterConfig {
  std::filesystem::path node;       // the node executable
  std::filesystem::path script;     // tools/wast/wat2component.mjs
  std::filesystem::path jco_api;    // node_modules/@bytecodealliance/jco/dist/api.js
  std::filesystem::path cache_dir;  // created if missing
};

class TextConverter {
 public:
  explicit TextConverter(TextConverterConfig config);

  // Why conversion cannot work here (node or jco missing), or nothing when it can.
  std::optional<std::string> unavailable() const;

  // Converts every text not yet in the cache, in one node process.
  Result<void> prepare(const std::vector<std::string>& texts);

  // The binary of `text`, converting it first if needed. A text that does not parse yields an
  // error with the parser's message.
  Result<std::vector<uint8_t>> binary(const std::string& text);

 private:
  std::filesystem::path path_for(const std::string& text, const char* ext) const;
  TextConverterConfig config_;
};

// A stable 64-bit FNV-1a hash, as 16 hex digits (cache file names).
std::string content_hash(const std::string& text);

}  // namespace actr::conformance
