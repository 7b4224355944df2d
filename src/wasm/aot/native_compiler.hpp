// Runs the system C compiler that turns generated modules into shared objects.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "actr/common/result.hpp"

namespace actr::wasm::aot {

class NativeCompiler {
 public:
  // `command` is EngineOptions::c_compiler, else $CC, else "cc"; it may carry arguments
  // ("ccache gcc"). Fails if the compiler cannot be run.
  static Result<NativeCompiler> find(const std::string& command);

  // What the compiler is, for cache keys: the command, the flags and its --version banner.
  const std::string& identity() const { return identity_; }

  // Compiles one C file to a shared object. Errors carry the end of the compiler's diagnostics.
  Result<void> compile_shared_object(const std::filesystem::path& source,
                                     const std::filesystem::path& include_dir,
                                     const std::filesystem::path& output) const;
  // How hard the compiler works on a translation unit: -O2 by default; -O1 for units with huge
  // functions (-O2's time and memory grow faster than linearly with a function's size) and for
  // huge modules; -O0 for code a profile did not see running.
  enum class Effort { O0, O1, O2 };
  static const char* flag(Effort effort);
  // A translation unit of a split module (c_units.hpp) to an object file.
  Result<void> compile_object(const std::filesystem::path& source,
                              const std::filesystem::path& include_dir,
                              const std::filesystem::path& output, Effort effort) const;
  // Links the objects of a split module into one shared object.
  Result<void> link_shared_object(const std::vector<std::filesystem::path>& objects,
                                  const std::filesystem::path& output) const;

 private:
  static Result<NativeCompiler> probe(const std::string& command);

  std::vector<std::string> argv_;
  std::string identity_;
};

// The compiler command the engine uses when none is configured: $CC, else "cc".
std::string default_compiler_command();

// Times compile_shared_object ran a compiler in this process (tests check cache hits with it).
uint64_t compiler_invocations();

}  // namespace actr::wasm::aot
