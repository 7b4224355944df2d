#include "support/shared.hpp"

#include <system_error>

namespace actr::test {

std::optional<std::filesystem::path> shared_dir() {
  std::filesystem::path dir = ACTR_SHARED_DIR;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return std::nullopt;
  return dir;
}

}  // namespace actr::test
