#include "signaling/server/signing_key_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>

namespace actr::signaling::server {

namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

std::optional<std::string> hex_decode(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

}  // namespace

actr::Result<CredentialIssuer> read_signing_key_file(const std::filesystem::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) {
    return actr::make_error("signing key file " + file.string() + ": " + strerror(errno) +
                            " (create one with `actr signal keygen FILE`)");
  }
  // Like ssh with its private keys: a key others can read is not the realm's secret any more.
  if ((st.st_mode & 077) != 0) {
    return actr::make_error("signing key file " + file.string() +
                            " is readable by other users; chmod 600 it");
  }
  std::ifstream in(file);
  std::string line;
  if (!in || !std::getline(in, line)) {
    return actr::make_error("cannot read signing key file " + file.string());
  }
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  auto secret = hex_decode(line);
  if (!secret || secret->size() != SecretKey{}.size()) {
    return actr::make_error("signing key file " + file.string() + ": expected " +
                            std::to_string(2 * SecretKey{}.size()) +
                            " hex digits on the first line (made by `actr signal keygen`)");
  }
  return CredentialIssuer::from_secret_key(*secret);
}

actr::Result<PublicKey> create_signing_key_file(const std::filesystem::path& file) {
  CredentialIssuer issuer = CredentialIssuer::generate();
  std::string text;
  for (uint8_t byte : issuer.secret_key()) {
    text.push_back(kHexDigits[byte >> 4]);
    text.push_back(kHexDigits[byte & 0xf]);
  }
  text.push_back('\n');
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return actr::make_error(
        "cannot create " + file.string() + ": " + strerror(errno) +
        (errno == EEXIST ? " (a key is never overwritten: remove it first)" : ""));
  }
  bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                 ::fsync(fd) == 0;
  int saved = errno;
  ::close(fd);
  if (!written) {
    std::error_code ignored;
    std::filesystem::remove(file, ignored);
    return actr::make_error("cannot write " + file.string() + ": " + strerror(saved));
  }
  return issuer.public_key();
}

}  // namespace actr::signaling::server
