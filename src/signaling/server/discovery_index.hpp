// DiscoveryIndex: the live actors of the signaling server grouped by (realm, type name), so a
// discovery looks at the actors that can answer it instead of every live actor. A discovery's
// type matcher (ServerOptions::type_matches) decides among these candidates; every matcher the
// server is given requires equal names, which is what makes the grouping sound.
//
// Each group lists its actors in serial order (the order discovery replies keep). The index holds
// pointers it does not own: an actor must be removed before its storage goes away.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace actr::signaling::server {

template <typename Actor>
class DiscoveryIndex {
 public:
  struct Entry {
    uint64_t serial;
    const Actor* actor;
  };

  // Adds the actor, or points an existing (realm, name, serial) entry at it.
  void add(uint32_t realm, std::string_view name, uint64_t serial, const Actor* actor) {
    auto it = groups_.find(GroupView{realm, name});
    if (it == groups_.end()) it = groups_.emplace(Group{realm, std::string(name)}, Entries{}).first;
    Entries& entries = it->second;
    auto at = lower_bound(entries, serial);
    if (at != entries.end() && at->serial == serial) {
      at->actor = actor;
    } else {
      entries.insert(at, Entry{serial, actor});
    }
  }

  void remove(uint32_t realm, std::string_view name, uint64_t serial) {
    auto it = groups_.find(GroupView{realm, name});
    if (it == groups_.end()) return;
    Entries& entries = it->second;
    auto at = lower_bound(entries, serial);
    if (at == entries.end() || at->serial != serial) return;
    entries.erase(at);
    if (entries.empty()) groups_.erase(it);
  }

  // The actors of `realm` whose type is called `name`, by serial; valid until the next change.
  std::span<const Entry> candidates(uint32_t realm, std::string_view name) const {
    auto it = groups_.find(GroupView{realm, name});
    if (it == groups_.end()) return {};
    return it->second;
  }

  size_t group_count() const { return groups_.size(); }

 private:
  using Entries = std::vector<Entry>;
  struct Group {
    uint32_t realm;
    std::string name;
  };
  struct GroupView {
    uint32_t realm;
    std::string_view name;
  };
  // Transparent: lookups by a string_view name allocate nothing.
  struct Hash {
    using is_transparent = void;
    size_t operator()(const GroupView& g) const {
      return std::hash<std::string_view>{}(g.name) * 31 + g.realm;
    }
    size_t operator()(const Group& g) const { return (*this)(GroupView{g.realm, g.name}); }
  };
  struct Equal {
    using is_transparent = void;
    static GroupView view(const Group& g) { return {g.realm, g.name}; }
    static GroupView view(const GroupView& g) { return g; }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      GroupView x = view(a), y = view(b);
      return x.realm == y.realm && x.name == y.name;
    }
  };

  static typename Entries::iterator lower_bound(Entries& entries, uint64_t serial) {
    return std::lower_bound(entries.begin(), entries.end(), serial,
                            [](const Entry& e, uint64_t s) { return e.serial < s; });
  }

  std::unordered_map<Group, Entries, Hash, Equal> groups_;
};

}  // namespace actr::signaling::server
