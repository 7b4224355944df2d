// What instantiating a component computes that does not depend on the instance, kept with the
// Component for the next instantiation: resolved type definitions, and the host items matched to
// its imports.
//
// An entry is reused only when everything it was computed from is the very same: the same type
// objects in the index space it read (compared by identity; the entry holds them, so an address
// cannot be recycled under it) and, for imports, the same Linker::version(). Resource types are
// generative: a fresh one per instantiation never equals the one an entry holds, so whatever
// refers to it is resolved again, as the spec requires.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "component/linker/items.hpp"

namespace actr::component::link {

class InstantiationCache {
 public:
  // The identity of what was computed: `site` is the definition or declaration it was computed
  // for (an address inside the component's AST), `shape` any further declaration it followed
  // (e.g. the instance type an import refers to), `linker_version` 0 when no Linker was involved.
  struct Key {
    const void* site = nullptr;
    const void* shape = nullptr;
    uint64_t linker_version = 0;
  };
  // `inputs` are the index-space entries the computation read.
  std::optional<Item> find(const Key& key, std::span<const TypeItem* const> inputs) const;
  void store(const Key& key, std::span<const TypeItem* const> inputs, Item item);

  size_t size() const;

 private:
  struct Entry {
    const void* shape = nullptr;
    uint64_t linker_version = 0;
    std::vector<TypeItem> inputs;
    Item item;
  };

  mutable std::mutex mu_;
  std::unordered_map<const void*, Entry> entries_;
};

// Whether two index-space entries are the same types (object identity; instance and component
// types by declaration and defining scope).
bool same_identity(const TypeItem& a, const TypeItem& b);

}  // namespace actr::component::link
