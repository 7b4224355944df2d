#include "workload/ids.hpp"

#include <charconv>
#include <vector>

namespace actr::workload {

namespace {

template <class T>
std::optional<T> parse_number(std::string_view s) {
  T v{};
  if (s.empty()) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::vector<uint64_t> version_numbers(std::string_view v) {
  std::vector<uint64_t> out;
  // Pre-release and build suffixes do not take part in compatibility.
  v = v.substr(0, v.find_first_of("-+"));
  while (!v.empty()) {
    size_t dot = v.find('.');
    auto n = parse_number<uint64_t>(v.substr(0, dot));
    out.push_back(n.value_or(0));
    if (dot == std::string_view::npos) break;
    v.remove_prefix(dot + 1);
  }
  while (out.size() < 3) out.push_back(0);
  return out;
}

bool valid_name(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::string to_string(const ActrType& type) {
  std::string s;
  if (!type.manufacturer.empty()) s += type.manufacturer + "/";
  s += type.name;
  if (!type.version.empty()) s += "@" + type.version;
  return s;
}

std::string to_string(const ActrId& id) {
  return std::to_string(id.realm.realm_id) + ":" + std::to_string(id.serial_number);
}

Result<ActrType> parse_type(std::string_view text) {
  ActrType t;
  std::string_view rest = text;
  if (size_t at = rest.find('@'); at != std::string_view::npos) {
    t.version = std::string(rest.substr(at + 1));
    rest = rest.substr(0, at);
    if (t.version.empty())
      return make_error("actor type `" + std::string(text) + "`: empty version after `@`");
  }
  if (size_t slash = rest.find('/'); slash != std::string_view::npos) {
    t.manufacturer = std::string(rest.substr(0, slash));
    rest = rest.substr(slash + 1);
    if (!valid_name(t.manufacturer)) {
      return make_error("actor type `" + std::string(text) + "`: bad manufacturer name");
    }
  }
  if (!valid_name(rest)) {
    return make_error("actor type `" + std::string(text) +
                      "`: expected [manufacturer/]name[@version] with names of letters, digits, "
                      "`-`, `_` or `.`");
  }
  t.name = std::string(rest);
  return t;
}

bool version_satisfies(std::string_view offered, std::string_view required) {
  if (required.empty()) return true;
  if (offered.empty()) return false;
  auto o = version_numbers(offered);
  auto r = version_numbers(required);
  if (o[0] != r[0]) return false;
  if (r[0] == 0 && o[1] != r[1]) return false;
  return o >= r;
}

bool type_matches(const ActrType& offered, const ActrType& wanted) {
  if (offered.name != wanted.name) return false;
  if (!wanted.manufacturer.empty() && offered.manufacturer != wanted.manufacturer) return false;
  return version_satisfies(offered.version, wanted.version);
}

Result<Target> parse_target(std::string_view text) {
  Target t;
  if (text.empty()) return make_error("empty target: expected an actor id (realm:serial) or type");
  if (size_t colon = text.find(':'); colon != std::string_view::npos) {
    auto realm = parse_number<uint32_t>(text.substr(0, colon));
    auto serial = parse_number<uint64_t>(text.substr(colon + 1));
    if (!realm || !serial) {
      return make_error("target `" + std::string(text) + "`: expected realm:serial (two numbers)");
    }
    t.realm = *realm;
    t.serial = *serial;
    return t;
  }
  if (auto serial = parse_number<uint64_t>(text)) {
    t.serial = *serial;
    return t;
  }
  ACTR_TRY(auto type, parse_type(text));
  t.type = std::move(type);
  return t;
}

}  // namespace actr::workload
