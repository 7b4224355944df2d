// The on-disk cache of compiled modules and the shared objects loaded from it.
//
// A module compiles to <dir>/<key>.so, key = SHA-256 over the module bytes and everything that
// shapes the object (engine sources, glue ABI, wasm-rt.h, compiler identity and flags). Writers
// build in a private temporary directory and publish with an atomic rename, under a per-key lock
// (in-process mutex + flock across processes), so concurrent loads compile once and nobody ever
// dlopens a half-written file. Only files in a directory owned by this user, owned by this user
// and writable by nobody else are loaded.
//
// Size: the cache holds at most `max_bytes` of objects (default $ACTR_CACHE_MAX_MB, else 2 GiB).
// Loading an object marks it used (its mtime); after each compile the least recently used ones
// are removed until the cache fits (a process that has one loaded keeps its mapping).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "actr/common/result.hpp"
#include "wasm/aot/c_units.hpp"
#include "wasm/aot/glue_abi.h"
#include "wasm/aot/native_compiler.hpp"

namespace actr::wasm::aot {

// A loaded shared object. dlclosed when the last module/instance using it goes away.
class LoadedObject {
 public:
  ~LoadedObject();
  const actr_glue_module_t& glue() const { return *glue_; }

 private:
  friend class CodeCache;
  void* handle_ = nullptr;
  const actr_glue_module_t* glue_ = nullptr;
};

// A profile for a split module's compile (wasm::CompileHints): the defined-function indices that
// ran, in a module of `defined_functions`.
struct UnitProfile {
  std::vector<uint32_t> hot_functions;
  size_t defined_functions = 0;
};

class CodeCache {
 public:
  // Resolves the directory (EngineOptions::cache_dir, $ACTR_CACHE_DIR, $XDG_CACHE_HOME/actr,
  // ~/.cache/actr), creates it (mode 0700) and checks that it belongs to this user.
  static Result<std::unique_ptr<CodeCache>> open(std::optional<std::filesystem::path> dir,
                                                 NativeCompiler compiler,
                                                 std::optional<uint64_t> max_bytes = {});
  uint64_t max_bytes() const { return max_bytes_; }
  // Removes the least recently used objects until the cache holds at most max_bytes(), never
  // `keep`. Returns how many it removed.
  size_t evict(const std::string& keep = {});

  const std::filesystem::path& directory() const { return dir_; }
  std::string key_for(std::span<const uint8_t> module_bytes) const;

  // The cached object for `key`, or null when there is none (or it is unusable).
  Result<std::shared_ptr<LoadedObject>> find(const std::string& key);
  // Compiles `source` (with `header` as module.h next to it) under `key` and loads it. Another
  // thread or process may publish the same key meanwhile; then that object is used.
  // A big module is split into translation units (c_units.hpp) compiled two at a time (the
  // machine's cores, at most), each kept in <dir>/units/ until the module is linked, so that a
  // compile that is cancelled resumes where it stopped. `progress` hears (units done, units).
  // `profile` guides the split of a huge module (see CompileHints).
  Result<std::shared_ptr<LoadedObject>> compile_and_load(
      const std::string& key, const std::string& source, const std::string& header,
      const std::function<void(size_t, size_t)>& progress = {}, const UnitProfile& profile = {});

 private:
  CodeCache(std::filesystem::path dir, NativeCompiler compiler, uint64_t max_bytes);
  // Translation units of about this much C each ($ACTR_AOT_UNIT_KB overrides it); units whose
  // largest function passes kHugeFunctionBytes, and every unit of a module of more than
  // kHugeModuleUnits units, compile at -O1; in such a huge module, units of functions a profile
  // did not see running compile at -O0.
  static constexpr size_t kUnitBytes = 4u << 20;
  static constexpr size_t kHugeFunctionBytes = 2u << 20;
  static constexpr size_t kHugeModuleUnits = 8;  // more units: the whole module at -O1
  Result<void> compile_units(const std::vector<CUnit>& units, const std::filesystem::path& work,
                             const std::filesystem::path& object,
                             const std::function<void(size_t, size_t)>& progress);
  Result<void> compile(const std::string& key, const std::string& source, const std::string& header,
                       const std::function<void(size_t, size_t)>& progress,
                       const UnitProfile& profile);

  std::filesystem::path dir_;
  NativeCompiler compiler_;
  std::string fingerprint_;
  uint64_t max_bytes_;
};

}  // namespace actr::wasm::aot
