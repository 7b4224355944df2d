#include <filesystem>
#include <fstream>
#include <sstream>

#include "witgen/generator.hpp"

namespace actr::witgen {

Result<void> write_files(const std::string& dir, const std::vector<OutputFile>& files) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return make_error("cannot create `" + dir + "`: " + ec.message());
  for (const auto& f : files) {
    fs::path path = fs::path(dir) / f.name;
    {
      std::ifstream in(path, std::ios::binary);
      if (in) {
        std::ostringstream old;
        old << in.rdbuf();
        if (old.str() == f.text) continue;
      }
    }
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << f.text;
    if (!out) return make_error("cannot write `" + path.string() + "`");
  }
  return {};
}

}  // namespace actr::witgen
