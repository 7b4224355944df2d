// What every WASI host function of one registration shares: the instance's state and the
// resource and named types the linker knows. Internal to actr::wasi.
#pragma once

#include <memory>
#include <string>

#include "actr/common/result.hpp"
#include "actr/component/linker.hpp"
#include "actr/component/value.hpp"
#include "wasi/resource_table.hpp"
#include "wasi/state.hpp"
#include "wasi/stream_error.hpp"
#include "wasi/wit_types.hpp"

namespace actr::wasi {

struct Host {
  // The state of the instance that is calling: one fixed state (a linker per instance), or the
  // one a provider names (one linker shared by many instances, e.g. a node's actors).
  std::shared_ptr<WasiState> fixed;
  StateProvider provider;
  WasiResources resources;
  WasiTypes types;

  WasiState& state() const { return fixed ? *fixed : provider(); }

  // An owned handle to a new host object; traps when the table's rep space is exhausted.
  template <typename T>
  Result<component::Value> give(ResourceTable<T>& table,
                                const std::shared_ptr<const component::ResourceType>& type,
                                T object) const {
    auto rep = table.insert(std::move(object));
    if (!rep) return make_error("out of `" + type->name + "` handles");
    return component::Value::own({type, *rep});
  }

  // The host object behind a borrowed (or owned) handle argument.
  template <typename T>
  Result<T*> find(ResourceTable<T>& table, const component::Value& handle) const {
    if (T* object = table.get(handle.handle.rep)) return object;
    std::string name = handle.handle.type ? handle.handle.type->name : "resource";
    return make_error("unknown `" + name + "` handle (rep " + std::to_string(handle.handle.rep) +
                      ")");
  }

  // A stream-error value; LastOperationFailed gives the guest a new `error` resource.
  Result<component::Value> stream_error(const StreamError& error) const;
};

// The bytes of a list<u8> argument in either form, without a copy in the compact one (the
// argument was lifted from the guest, so it is compact). `scratch` holds an element-wise list's.
inline std::string_view bytes_of(const component::Value& list, std::string& scratch) {
  if (list.is_bytes()) return list.str;
  // The canonical ABI checked the argument against list<u8>: every element is a u8.
  (void)list.copy_bytes(scratch);
  return scratch;
}

// Each registers its interfaces' functions (resources are registered by add_to_linker).
void add_cli(component::Linker& linker, const std::shared_ptr<const Host>& host);
void add_io(component::Linker& linker, const std::shared_ptr<const Host>& host);
void add_clocks(component::Linker& linker, const std::shared_ptr<const Host>& host);
void add_random(component::Linker& linker, const std::shared_ptr<const Host>& host);
void add_filesystem(component::Linker& linker, const std::shared_ptr<const Host>& host);

}  // namespace actr::wasi
