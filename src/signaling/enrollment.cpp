#include "signaling/enrollment.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "signaling/upgrade.hpp"

namespace actr::signaling {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && is_space(line[i])) ++i;
    size_t start = i;
    while (i < line.size() && !is_space(line[i])) ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

Result<AccessRule> pattern_rule(std::string_view pattern) {
  return workload::parse_access_rule("allow " + std::string(pattern));
}

Result<std::string> read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("cannot read the enrollment token file `" + path.string() + "`");
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

}  // namespace

bool EnrollToken::admits(const ActrType& type) const {
  if (types.empty()) return true;
  for (const auto& pattern : types) {
    auto rule = pattern_rule(pattern);
    if (rule && rule->matches(type, 0)) return true;
  }
  return false;
}

const EnrollToken* Enrollment::match(std::string_view authorization) const {
  constexpr std::string_view kBearer = "Bearer ";
  if (!authorization.starts_with(kBearer)) return nullptr;
  std::string_view presented = authorization.substr(kBearer.size());
  const EnrollToken* found = nullptr;
  for (const auto& t : tokens) {  // every token is compared: the time does not say which matched
    if (constant_time_equal(presented, t.token) && !found) found = &t;
  }
  return found;
}

Result<std::vector<EnrollToken>> parse_enroll_tokens(std::string_view text,
                                                     std::string_view source) {
  std::vector<EnrollToken> tokens;
  size_t line_no = 0;
  for (size_t start = 0; start <= text.size();) {
    size_t end = std::min(text.find('\n', start), text.size());
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_no;
    if (size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    auto w = words(line);
    if (w.empty()) continue;
    std::string where = std::string(source) + ":" + std::to_string(line_no);
    EnrollToken t;
    t.token = std::string(w[0]);
    if (t.token.size() < 16) {
      return make_error(where + ": an enrollment token must be at least 16 characters");
    }
    for (size_t i = 1; i < w.size(); ++i) {
      if (auto rule = pattern_rule(w[i]); !rule) {
        return make_error(where + ": bad type pattern `" + std::string(w[i]) +
                          "` (MANUFACTURER/NAME, MANUFACTURER/*, NAME or *)");
      }
      t.types.emplace_back(w[i]);
    }
    for (const auto& other : tokens) {
      if (other.token == t.token) return make_error(where + ": the same token appears twice");
    }
    tokens.push_back(std::move(t));
  }
  if (tokens.empty()) return make_error(std::string(source) + ": no enrollment token in the file");
  return tokens;
}

Result<std::vector<EnrollToken>> read_enroll_tokens(const std::filesystem::path& path) {
  ACTR_TRY(std::string text, read_text(path));
  return parse_enroll_tokens(text, path.string());
}

Result<std::string> read_enroll_token_file(const std::filesystem::path& path) {
  ACTR_TRY(auto tokens, read_enroll_tokens(path));
  return tokens.front().token;
}

Result<std::filesystem::path> ensure_enroll_token_file(const std::filesystem::path& data_dir,
                                                       bool* created) {
  if (created) *created = false;
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) return make_error("data directory " + data_dir.string() + ": " + ec.message());
  std::filesystem::path path = data_dir / "enroll-token";
  if (std::filesystem::exists(path, ec)) return path;
  if (sodium_init() < 0) return make_error("libsodium failed to initialise");
  unsigned char raw[32];
  randombytes_buf(raw, sizeof raw);
  char hex[2 * sizeof raw + 1];
  sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
  std::string text = std::string(hex) +
                     "\n# Nodes send this token to register (actr.toml: [network] "
                     "enroll_token_file). Add lines `TOKEN TYPE...` for tokens limited to types.\n";
  // O_EXCL: two servers starting at once on one directory do not overwrite each other's token.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return path;
    return make_error("cannot create " + path.string() + ": " + std::strerror(errno));
  }
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = ::fsync(fd) == 0 && ok;
  ::close(fd);
  if (!ok) {
    std::filesystem::remove(path, ec);
    return make_error("cannot write " + path.string());
  }
  if (created) *created = true;
  return path;
}

}  // namespace actr::signaling
