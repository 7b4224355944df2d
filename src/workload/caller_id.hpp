// The calling actor's id as a message carries it: an immutable ActrId shared by every message the
// actor sends, so that sending, moving and dropping a message costs a reference count instead of
// copying (and freeing) the id's three type strings. Reads like std::optional<ActrId>: empty for
// shell, gateway and hook calls.
#pragma once

#include <memory>
#include <optional>
#include <utility>

#include "workload/ids.hpp"

namespace actr::workload {

class CallerId {
 public:
  CallerId() = default;
  // Implicit, as optional's: `m.caller = actor.shared_id()`, `m.caller = id`, `= std::nullopt`.
  CallerId(std::nullopt_t) {}
  // Allocates once; a message decoded from the wire or made by a test takes this way.
  CallerId(ActrId id) : id_(std::make_shared<const ActrId>(std::move(id))) {}
  // No copy: an actor hands out the id it shares. The count is atomic because messages (and so
  // their copies of the pointer) cross worker threads; the id itself is never written.
  CallerId(std::shared_ptr<const ActrId> id) : id_(std::move(id)) {}

  explicit operator bool() const { return id_ != nullptr; }
  bool has_value() const { return id_ != nullptr; }
  const ActrId& operator*() const { return *id_; }
  const ActrId* operator->() const { return id_.get(); }
  ActrId value_or(ActrId fallback) const { return id_ ? *id_ : std::move(fallback); }
  std::optional<ActrId> to_optional() const {
    return id_ ? std::optional<ActrId>(*id_) : std::nullopt;
  }
  const std::shared_ptr<const ActrId>& shared() const { return id_; }
  void reset() { id_.reset(); }

  // By value, as optional<ActrId> compares: two empty ids are equal, a shared one equals itself.
  friend bool operator==(const CallerId& a, const CallerId& b) {
    if (a.id_ == b.id_) return true;
    return a.id_ && b.id_ && *a.id_ == *b.id_;
  }

 private:
  std::shared_ptr<const ActrId> id_;
};

}  // namespace actr::workload
