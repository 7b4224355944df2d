#include "common/connection_admission.hpp"

namespace actr {

ConnectionAdmission::Decision ConnectionAdmission::admit(const std::string& address) {
  std::lock_guard lock(mu_);
  Decision d;
  auto same = per_address_.find(address);
  if (same != per_address_.end() && same->second >= limits_.max_per_address) {
    Id victim = oldest_idle(&address);
    if (victim == 0) return d;
    forget(victim);
    d.evicted.push_back(victim);
  }
  if (entries_.size() >= limits_.max_total) {
    Id victim = oldest_idle(nullptr);
    if (victim == 0) return d;  // a per-address eviction above stays: it was beyond its share
    forget(victim);
    d.evicted.push_back(victim);
  }
  d.admitted = true;
  d.id = next_id_++;
  entries_.emplace(d.id, Entry{address, true, std::chrono::steady_clock::now()});
  ++per_address_[address];
  return d;
}

void ConnectionAdmission::set_idle(Id id, bool idle) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(id);
  if (it == entries_.end() || it->second.idle == idle) return;
  it->second.idle = idle;
  if (idle) it->second.idle_since = std::chrono::steady_clock::now();
}

void ConnectionAdmission::remove(Id id) {
  std::lock_guard lock(mu_);
  forget(id);
}

size_t ConnectionAdmission::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

size_t ConnectionAdmission::count(const std::string& address) const {
  std::lock_guard lock(mu_);
  auto it = per_address_.find(address);
  return it == per_address_.end() ? 0 : it->second;
}

ConnectionAdmission::Id ConnectionAdmission::oldest_idle(const std::string* address) const {
  Id best = 0;
  std::chrono::steady_clock::time_point since{};
  for (const auto& [id, e] : entries_) {
    if (!e.idle || (address && e.address != *address)) continue;
    if (best == 0 || e.idle_since < since) {
      best = id;
      since = e.idle_since;
    }
  }
  return best;
}

void ConnectionAdmission::forget(Id id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  auto a = per_address_.find(it->second.address);
  if (a != per_address_.end() && --a->second == 0) per_address_.erase(a);
  entries_.erase(it);
}

}  // namespace actr
