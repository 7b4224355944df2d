#include "gateway/uri.hpp"

#include <charconv>
#include <vector>

#include "common/unicode.hpp"

namespace actr::gateway {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool unreserved(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (;;) {
    size_t at = s.find(sep, start);
    if (at == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, at - start));
    start = at + 1;
  }
}

}  // namespace

std::string percent_encode(std::string_view segment) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(segment.size());
  for (char c : segment) {
    if (unreserved(c)) {
      out += c;
    } else {
      auto b = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[b >> 4];
      out += kHex[b & 0xF];
    }
  }
  return out;
}

std::optional<std::string> percent_decode(std::string_view segment) {
  std::string out;
  out.reserve(segment.size());
  for (size_t i = 0; i < segment.size(); ++i) {
    if (segment[i] != '%') {
      out += segment[i];
      continue;
    }
    if (i + 2 >= segment.size()) return std::nullopt;
    int hi = hex_value(segment[i + 1]);
    int lo = hex_value(segment[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

std::string_view path_of(std::string_view request_target) {
  return request_target.substr(0, request_target.find('?'));
}

std::optional<Result<ActorPath>> parse_actor_path(std::string_view request_target) {
  constexpr std::string_view kPrefix = "/actors/";
  std::string_view path = path_of(request_target);
  if (path.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  auto segments = split(path.substr(kPrefix.size()), '/');
  if (segments.size() < 2) return std::nullopt;
  for (auto segment : segments)
    if (segment.empty()) return std::nullopt;
  std::vector<std::string> decoded;
  for (auto segment : segments) {
    auto d = percent_decode(segment);
    if (!d) return Result<ActorPath>(make_error("bad percent-encoding in the request path"));
    // Targets and route keys are WIT strings: the node could not pass anything else on.
    std::string why;
    if (!unicode::validate_utf8(*d, &why)) {
      return Result<ActorPath>(
          make_error("the request path is not valid UTF-8 once decoded (" + why + ")"));
    }
    decoded.push_back(std::move(*d));
  }
  ActorPath out;
  out.route_key = std::move(decoded.back());
  decoded.pop_back();
  for (auto& part : decoded) {
    if (!out.target.empty()) out.target += '/';
    out.target += part;
  }
  return Result<ActorPath>(std::move(out));
}

Result<NodeUrl> parse_node_url(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme)
    return make_error("node URL must start with http:// (got '" + std::string(url) + "')");
  std::string_view rest = url.substr(kScheme.size());
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  if (path.find_first_of("?#") != std::string_view::npos)
    return make_error("node URL must not have a query or fragment");
  NodeUrl out;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return make_error("node URL has an unclosed '['");
    out.host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return make_error("node URL: unexpected text after ']'");
      port = after.substr(1);
    }
  } else {
    size_t colon = authority.rfind(':');
    out.host = authority.substr(0, colon);
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (out.host.empty()) return make_error("node URL has no host");
  if (out.host.find('@') != std::string::npos)
    return make_error("node URL must not carry credentials");
  if (!port.empty() || authority.ends_with(':')) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc{} || end != port.data() + port.size() || value == 0 || value > 65535)
      return make_error("node URL has a bad port '" + std::string(port) + "'");
    out.port = static_cast<uint16_t>(value);
  }
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  out.prefix = path;
  return out;
}

}  // namespace actr::gateway
