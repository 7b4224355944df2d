// Links parsed WIT files into packages: every `use`, type reference, world import/export and
// `include` is looked up, across the interfaces of a package and across packages.
//
//   auto packages = load_wit("wit/actr-workload.wit");   // a file, or a directory with deps/
//   const World* world = packages->main().find_world("actr-workload-guest");
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "actr/common/result.hpp"
#include "witgen/model.hpp"

namespace actr::witgen {

class PackageSet {
 public:
  // The package given first (the one whose world is generated); the others are dependencies.
  const Package& main() const { return *packages_.front(); }
  const std::vector<std::shared_ptr<Package>>& packages() const { return packages_; }
  // `ns:pkg` or `ns:pkg@version`.
  const Package* find(std::string_view name) const;
  // A world by name in the main package, or by path `ns:pkg/world[@version]`.
  Result<const World*> world(std::string_view name) const;

 private:
  friend Result<PackageSet> resolve(std::vector<std::vector<File>> groups);
  std::vector<std::shared_ptr<Package>> packages_;
};

// Each group is the files of one package (files without a `package` line take the group's);
// the first group is the main package.
Result<PackageSet> resolve(std::vector<std::vector<File>> groups);

// Parses and resolves in one step; `sources` are (path, text) pairs of one package.
Result<PackageSet> resolve_sources(
    const std::vector<std::vector<std::pair<std::string, std::string>>>& groups);

// A .wit file (one package), or a directory: its *.wit files are the main package and each file
// or subdirectory of its deps/ folder is a dependency package.
Result<PackageSet> load_wit(const std::string& path);

}  // namespace actr::witgen
