// The InstancePres Linker::instantiate made for one component, kept with the component (its
// lifetime bounds theirs) and found by the generation of the linker they were made with.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace actr::component {
class InstancePre;
}

namespace actr::component::link {

struct PreCache {
  static constexpr size_t kMax = 4;
  std::mutex mu;
  std::vector<std::pair<uint64_t, std::shared_ptr<const InstancePre>>> pres;
};

}  // namespace actr::component::link
