#include "runtime/message_text.hpp"

#include "common/unicode.hpp"

namespace actr::runtime {

namespace {

// Every message is checked: the text of what to say is only built for one that fails.
std::optional<std::string> check(std::string_view what, const std::string& text) {
  if (unicode::validate_utf8(text)) return std::nullopt;
  std::string why;
  unicode::validate_utf8(text, &why);
  return std::string(what) + " is not valid UTF-8: " + why;
}

std::optional<std::string> check_type(std::string_view whose, const ActrType& type) {
  for (const std::string* part : {&type.manufacturer, &type.name, &type.version}) {
    if (unicode::validate_utf8(*part)) continue;
    return check(std::string(whose) + " type", *part);
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> invalid_text(const Message& m) {
  if (auto bad = check("the route key", m.route_key)) return bad;
  if (auto bad = check("the request id", m.request_id)) return bad;
  if (m.caller) {
    if (auto bad = check_type("the caller's", m.caller->type)) return bad;
  }
  if (m.chunk) {
    if (auto bad = check("the stream id", m.chunk->stream_id)) return bad;
    for (const auto& entry : m.chunk->metadata) {
      if (auto bad = check("a stream metadata key", entry.key)) return bad;
      if (auto bad = check("a stream metadata value", entry.value)) return bad;
    }
  }
  return std::nullopt;
}

}  // namespace actr::runtime
