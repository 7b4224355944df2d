#include "runtime/network/identity_file.hpp"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

namespace actr::runtime {

namespace {

std::string to_hex(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

Result<std::string> from_hex(const std::string& hex) {
  if (hex.size() % 2) return make_error("odd number of hex digits");
  auto value = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = value(hex[i]), lo = value(hex[i + 1]);
    if (hi < 0 || lo < 0) return make_error("not a hex digit");
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

}  // namespace

Result<StoredIdentities> load_identities(const std::filesystem::path& file) {
  StoredIdentities ids;
  std::ifstream in(file);
  if (!in) {
    if (!std::filesystem::exists(file)) return ids;
    return make_error("cannot read " + file.string());
  }
  std::string line;
  for (size_t number = 1; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    std::istringstream fields(line);
    std::string key, hex;
    StoredIdentity id;
    if (!(fields >> key >> id.serial >> hex) || id.serial == 0) {
      return make_error(file.string() + ":" + std::to_string(number) +
                        ": expected `KEY SERIAL CREDENTIAL_HEX`");
    }
    auto credential = from_hex(hex);
    if (!credential) {
      return make_error(file.string() + ":" + std::to_string(number) +
                        ": credential: " + credential.error().message);
    }
    id.credential = std::move(*credential);
    ids[key] = std::move(id);
  }
  return ids;
}

Result<void> save_identities(const std::filesystem::path& file, const StoredIdentities& ids) {
  auto temporary = file;
  temporary += ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    if (!out) return make_error("cannot write " + temporary.string());
    ::chmod(temporary.c_str(), 0600);
    for (const auto& [key, id] : ids) {
      out << key << ' ' << id.serial << ' ' << to_hex(id.credential) << '\n';
    }
    out.flush();
    if (!out) return make_error("cannot write " + temporary.string());
  }
  std::error_code ec;
  std::filesystem::rename(temporary, file, ec);
  if (ec) return make_error("cannot replace " + file.string() + ": " + ec.message());
  return {};
}

}  // namespace actr::runtime
