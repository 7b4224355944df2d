#include "net/address.hpp"

#include <cctype>
#include <charconv>

namespace actr::net {

std::string Address::to_string() const {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<Address> parse_address(std::string_view text) {
  auto bad = [&](std::string why) {
    return make_error("bad peer address `" + std::string(text) + "`: " + why);
  };
  std::string_view rest = text;
  Address out;
  if (rest.starts_with("wss://")) {
    rest.remove_prefix(6);
    out.tls = true;
  } else if (rest.starts_with("ws://")) {
    rest.remove_prefix(5);
  }
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    out.path = std::string(rest.substr(slash));
    rest = rest.substr(0, slash);
  }
  std::string_view host, port;
  if (rest.starts_with("[")) {
    auto close = rest.find(']');
    if (close == std::string_view::npos || close + 1 >= rest.size() || rest[close + 1] != ':')
      return bad("expected [ipv6]:port");
    host = rest.substr(1, close - 1);
    port = rest.substr(close + 2);
  } else {
    auto colon = rest.rfind(':');
    if (colon == std::string_view::npos) return bad("expected host:port");
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  if (host.empty()) return bad("empty host");
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc() || end != port.data() + port.size() || value > 65535 || port.empty())
    return bad("port must be a number 0..65535");
  out.host = std::string(host);
  out.port = static_cast<uint16_t>(value);
  return out;
}

}  // namespace actr::net

namespace actr::net {

bool Address::has_no_listener() const {
  std::string h = host;
  if (!h.empty() && h.back() == '.') h.pop_back();  // the fully qualified form
  for (char& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return h == "invalid" || h.ends_with(".invalid");
}

}  // namespace actr::net
