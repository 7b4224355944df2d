#include "signaling/upgrade.hpp"

#include <algorithm>

namespace actr::signaling {

bool constant_time_equal(std::string_view a, std::string_view b) {
  // Every byte of the longer string is looked at, whatever the content.
  size_t n = std::max(a.size(), b.size());
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < n; ++i) {
    unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

std::vector<std::string_view> header_list(std::string_view value) {
  std::vector<std::string_view> items;
  for (size_t start = 0; start <= value.size();) {
    size_t comma = std::min(value.find(',', start), value.size());
    std::string_view item = value.substr(start, comma - start);
    start = comma + 1;
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (!item.empty()) items.push_back(item);
  }
  return items;
}

std::optional<std::string> enroll_subprotocol(std::string_view offered) {
  for (std::string_view item : header_list(offered)) {
    if (item.starts_with(kEnrollSubprotocol) && item.size() > kEnrollSubprotocol.size()) {
      return std::string(item.substr(kEnrollSubprotocol.size()));
    }
  }
  return std::nullopt;
}

}  // namespace actr::signaling
