#include "component/component_text.hpp"

#include <fstream>
#include <iterator>

#include "support/text_converter.hpp"

namespace actr::test {
namespace {

std::vector<TextToBinary> convert(const std::vector<std::string>& texts,
                                  TextConverter::Source source) {
  std::vector<TextToBinary> out(texts.size());
  TextConverter converter(default_text_converter_config());
  if (auto why = converter.unavailable()) {
    for (auto& r : out) {
      r.tool_missing = true;
      r.error = *why;
    }
    return out;
  }
  if (auto prepared = converter.prepare(texts, source); !prepared) {
    for (auto& r : out) {
      r.tool_missing = true;
      r.error = prepared.error().message;
    }
    return out;
  }
  for (size_t i = 0; i < texts.size(); ++i) {
    auto bytes = converter.binary(texts[i], source);
    if (bytes) {
      out[i].bytes = std::move(*bytes);
    } else {
      out[i].error = "jco: " + bytes.error().message;
    }
  }
  return out;
}

}  // namespace

std::optional<std::vector<uint8_t>> read_file_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return std::nullopt;
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(f)), {});
}

std::vector<TextToBinary> components_from_text(const std::vector<std::string>& texts) {
  return convert(texts, TextConverter::Source::Wat);
}

TextToBinary component_from_text(const std::string& text) {
  return std::move(convert({text}, TextConverter::Source::Wat).front());
}

TextToBinary component_from_wit(const std::string& wit) {
  return std::move(convert({wit}, TextConverter::Source::Wit).front());
}

}  // namespace actr::test
