// Where the read-only project inputs (fixtures, conformance tests) live, if present.
#pragma once

#include <filesystem>
#include <optional>

namespace actr::test {

// ACTR_SHARED_DIR when it exists on this machine. Tests that need it GTEST_SKIP() otherwise.
std::optional<std::filesystem::path> shared_dir();

}  // namespace actr::test
