// The C++ binding generators behind `actr-witgen --guest|--host`.
//
// Guest bindings (C++20 for wasm32, clang-19 -fno-exceptions): `<world>_types.hpp`, the import
// wrappers and the declarations of the exports the guest implements in `<world>_guest.hpp`, and
// in `<world>_guest.cpp` the canonical ABI code: import calls, export trampolines with their
// cabi_post_ functions, and cabi_realloc.
//
// Host bindings: the same types, plus in `<world>_host.hpp` the conversions to and from
// component::Value (actr::wit::host::Conv<T>) and the canonical ABI code of the fast path
// (actr::wit::host::Abi<T>), an abstract class per imported interface (one virtual per function)
// with add_to_linker(), and a Proxy per exported interface that calls the instance's exports with
// typed arguments (README.md: the fast path and its fallback).
#pragma once

#include <string>
#include <vector>

#include "actr/common/result.hpp"
#include "witgen/binding_plan.hpp"
#include "witgen/resolver.hpp"

namespace actr::witgen {

struct OutputFile {
  std::string name;  // file name inside the output directory
  std::string text;
};

Result<std::vector<OutputFile>> generate_guest(const PackageSet& packages,
                                               const GeneratorOptions& options);
Result<std::vector<OutputFile>> generate_host(const PackageSet& packages,
                                              const GeneratorOptions& options);

// The runtime headers the generated code includes (written next to it).
OutputFile runtime_header();                     // actr_wit_runtime.hpp
OutputFile guest_runtime_header();               // actr_wit_guest_abi.hpp
std::vector<OutputFile> host_runtime_headers();  // actr_wit_host*.hpp

// Writes files into `dir` (created if needed), leaving unchanged files untouched so that
// builds do not redo work.
Result<void> write_files(const std::string& dir, const std::vector<OutputFile>& files);

}  // namespace actr::witgen
