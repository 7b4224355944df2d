#include "runtime/stream_registry.hpp"

namespace actr::runtime {

Status StreamRegistry::add(const std::string& stream_id, uint64_t owner_serial) {
  if (stream_id.empty()) return Status::Err(ActrError::invalid_argument("empty stream id"));
  std::lock_guard lock(mu_);
  auto [it, inserted] = owners_.emplace(stream_id, owner_serial);
  if (!inserted && it->second != owner_serial) {
    return Status::Err(ActrError::invalid_argument(
        "stream `" + stream_id + "` is registered by actor serial " + std::to_string(it->second)));
  }
  return Status::Ok();
}

Status StreamRegistry::remove(const std::string& stream_id, uint64_t owner_serial) {
  std::lock_guard lock(mu_);
  auto it = owners_.find(stream_id);
  if (it == owners_.end() || it->second != owner_serial) {
    return Status::Err(ActrError::not_found("stream `" + stream_id + "` is not registered"));
  }
  owners_.erase(it);
  return Status::Ok();
}

std::optional<uint64_t> StreamRegistry::owner(const std::string& stream_id) const {
  std::lock_guard lock(mu_);
  auto it = owners_.find(stream_id);
  if (it == owners_.end()) return std::nullopt;
  return it->second;
}

void StreamRegistry::remove_all(uint64_t owner_serial) {
  std::lock_guard lock(mu_);
  std::erase_if(owners_, [&](const auto& kv) { return kv.second == owner_serial; });
}

}  // namespace actr::runtime
