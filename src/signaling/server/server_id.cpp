#include "signaling/server/server_id.hpp"

#include <fstream>
#include <random>

namespace actr::signaling::server {

namespace {

// Letters and digits only: the id is a token of NATS keys and subjects.
bool valid_server_id(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

actr::Result<std::string> ensure_server_id(const std::filesystem::path& data_dir) {
  std::filesystem::path file = data_dir / kServerIdFileName;
  if (std::ifstream in(file); in) {
    std::string id;
    std::getline(in, id);
    if (!valid_server_id(id)) {
      return actr::make_error(file.string() + ": a server id is 1-64 letters, digits, - or _");
    }
    return id;
  }
  std::random_device random;
  std::uniform_int_distribution<int> digit(0, 15);
  std::string id;
  for (int i = 0; i < 16; ++i) id.push_back("0123456789abcdef"[digit(random)]);
  std::ofstream out(file);
  out << id << "\n";
  out.close();
  if (!out) return actr::make_error("cannot write " + file.string());
  return id;
}

}  // namespace actr::signaling::server
