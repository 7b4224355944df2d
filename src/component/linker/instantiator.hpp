// Replays the definitions of a component (and its nested components) to instantiate it: core
// modules are instantiated in the store, canonical functions built, imports taken from the host
// (top level) or from the instantiating parent (nested), exports collected.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "actr/common/result.hpp"
#include "actr/component/component.hpp"
#include "actr/component/linker.hpp"
#include "component/linker/component_state.hpp"
#include "component/linker/items.hpp"

namespace actr::component::link {

// What an instantiated component keeps of one of its frames (itself or a nested component
// instance): its core instances (null for a bundle of exports) and its component state. A Frame
// with its index spaces is ~700 bytes even when they are empty; an idle instance keeps only this.
struct KeptFrame {
  std::vector<std::shared_ptr<wasm::Instance>> core_instances;
  std::shared_ptr<ComponentState> state;
};

struct InstanceTree {
  std::shared_ptr<InstanceItem> root;          // the top-level exports (read once, then dropped)
  std::vector<std::shared_ptr<Frame>> frames;  // while instantiating; then empty
  std::vector<KeptFrame> kept;  // once instantiated: keeps every nested instance alive
  std::shared_ptr<ResourceDestructors> dtors;
  // The resource types the instance defined or imported (dtors' keys point at them).
  std::vector<std::shared_ptr<const ResourceType>> resources;
};

struct Tape;

// With `record`, also writes the tape of this instantiation there (instance_tape.hpp); it is
// complete only when every object made can be made again from it.
Result<InstanceTree> instantiate_component(const Linker& linker, const Component& component,
                                           wasm::Store& store, Tape* record = nullptr);

// The functions an instance exports, by the names Instance::func() takes, sorted by name: "f" for
// a top-level export, "iface#f" for a function of an exported instance (nested: "a#b#f").
std::vector<std::pair<std::string, FuncRef>> exported_funcs(const InstanceItem& root);

}  // namespace actr::component::link
