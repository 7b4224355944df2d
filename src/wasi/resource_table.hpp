// Host objects behind the resource handles given to a guest, by representation (rep).
#pragma once

#include <cstdint>
#include <optional>
#include <unordered_map>
#include <utility>

namespace actr::wasi {

template <typename T>
class ResourceTable {
 public:
  // Reps start at 1 and are never reused, so a stale rep cannot reach a newer object.
  std::optional<uint32_t> insert(T object) {
    if (next_ == 0) return std::nullopt;  // 2^32 - 1 objects created: the rep space is spent
    uint32_t rep = next_++;
    objects_.emplace(rep, std::move(object));
    return rep;
  }
  T* get(uint32_t rep) {
    auto it = objects_.find(rep);
    return it == objects_.end() ? nullptr : &it->second;
  }
  bool erase(uint32_t rep) { return objects_.erase(rep) > 0; }
  size_t size() const { return objects_.size(); }

 private:
  std::unordered_map<uint32_t, T> objects_;
  uint32_t next_ = 1;
};

}  // namespace actr::wasi
