// Per-component-instance state the canonical ABI needs: the handle table, the reentrance flags,
// and (shared by the whole instance tree) the destructors of resource types and the store.
#pragma once

#include <functional>
#include <map>
#include <memory>

#include "actr/common/result.hpp"
#include "actr/component/types.hpp"
#include "actr/wasm/engine.hpp"

namespace actr::component::canonical {
class HandleTable;
}

namespace actr::component::link {

// Destructors by resource type, for every resource type of the instance tree (guest-defined ones
// call the defining instance's core dtor; host ones the linker's callback).
struct ResourceDestructors {
  std::map<const ResourceType*, std::function<Result<void>(uint32_t rep)>> by_type;
};

struct ComponentState {
  wasm::Store* store = nullptr;
  std::shared_ptr<ResourceDestructors> dtors;
  std::unique_ptr<canonical::HandleTable> handles;
  // The Component Model's reentrance rules: a component instance may not be entered while it is
  // already on the stack (may_enter), nor call out while lowering/lifting (may_leave).
  bool may_enter = true;
  bool may_leave = true;
  std::string name;  // for messages

  // Without a handle table for an instance no resource handle can reach (see Tape::handles).
  explicit ComponentState(bool with_handles = true);
  ~ComponentState();
};

}  // namespace actr::component::link
