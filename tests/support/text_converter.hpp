// Component text (the WAT of Explainer.md) or a WIT world -> a component binary, for every test
// that keeps its components readable as text: the wasm-tools bundled in the pinned npm package jco
// (tools/wast/wat2component.mjs), with a content-addressed cache on disk. Converting many texts at
// once costs one node start-up (~0.15 s) instead of one per component, and a warm cache nothing.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "actr/common/result.hpp"

namespace actr::test {

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

  // What a text is: component text, or a WIT document whose first world becomes a component
  // with a dummy core module (wasm-tools `component embed --dummy` then `component new`).
  enum class Source { Wat, Wit };

  // Converts every text not yet in the cache, in one node process.
  Result<void> prepare(const std::vector<std::string>& texts, Source source = Source::Wat);

  // The binary of `text`, converting it first if needed. A text that does not parse yields an
  // error with the parser's message.
  Result<std::vector<uint8_t>> binary(const std::string& text, Source source = Source::Wat);

 private:
  // The cache entry's name: the content hash, marked for WIT.
  static std::string name_for(const std::string& text, Source source);
  std::filesystem::path path_for(const std::string& text, Source source, const char* ext) const;
  TextConverterConfig config_;
};

// A stable 64-bit FNV-1a hash, as 16 hex digits (cache file names).
std::string content_hash(const std::string& text);

// node on this machine (the configured one, else the first on PATH); empty when there is none.
std::filesystem::path find_node();

// The converter of the test suites: the repository's pinned jco, cached under the build directory
// by jco version.
TextConverterConfig default_text_converter_config();

}  // namespace actr::test
