#include "component/linker/instantiation_cache.hpp"

namespace actr::component::link {

bool same_identity(const TypeItem& a, const TypeItem& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case TypeItem::Kind::Value:
      return a.value == b.value;
    case TypeItem::Kind::Func:
      return a.func == b.func;
    case TypeItem::Kind::Resource:
      return a.resource == b.resource;
    case TypeItem::Kind::Instance:
    case TypeItem::Kind::Component:
      return a.instance == b.instance && a.component == b.component &&
             !a.scope.owner_before(b.scope) && !b.scope.owner_before(a.scope);
    case TypeItem::Kind::CoreType:
      return true;
  }
  return false;
}

std::optional<Item> InstantiationCache::find(const Key& key,
                                             std::span<const TypeItem* const> inputs) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key.site);
  if (it == entries_.end()) return std::nullopt;
  const Entry& e = it->second;
  if (e.shape != key.shape || e.linker_version != key.linker_version ||
      e.inputs.size() != inputs.size()) {
    return std::nullopt;
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!same_identity(e.inputs[i], *inputs[i])) return std::nullopt;
  }
  return e.item;
}

void InstantiationCache::store(const Key& key, std::span<const TypeItem* const> inputs, Item item) {
  Entry e;
  e.shape = key.shape;
  e.linker_version = key.linker_version;
  e.inputs.reserve(inputs.size());
  for (const TypeItem* in : inputs) e.inputs.push_back(*in);
  e.item = std::move(item);
  std::lock_guard lock(mu_);
  entries_.insert_or_assign(key.site, std::move(e));
}

size_t InstantiationCache::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace actr::component::link
