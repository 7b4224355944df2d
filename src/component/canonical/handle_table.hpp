// A component instance's table of resource handles, with the canonical ABI's own/borrow rules
// (CanonicalABI.md: Table, ResourceHandle, lift_own, lift_borrow, lower_own, lower_borrow and the
// resource.new / resource.rep / resource.drop built-ins).
//
// Index 0 is never valid; freed slots are reused (most recently freed first). Every misuse
// returns a trap (actr::Error with a wasm::TrapKind code) instead of crashing, e.g.
// "unknown handle index 5", "cannot remove owned resource while borrowed", "handle index 1 used
// with the wrong type, expected guest-defined resource but found a different guest-defined
// resource (expected `a`, found `b`)".
//
// A call between the host and a guest instance runs inside a CallScope on that instance's table:
//   - host -> guest (a lifted export): borrow handles lowered into the callee belong to the
//     scope; the callee must drop them all before it returns, else finish() traps with "borrow
//     handles still remain at the end of the call".
//   - guest -> host (a lowered import): handles the caller lends (borrow arguments) cannot be
//     dropped or moved until the call ends; finish() (or the destructor) gives them back.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "actr/common/result.hpp"
#include "actr/component/types.hpp"

namespace actr::component::canonical {

class CallScope;

class HandleTable {
 public:
  static constexpr uint32_t kMaxLength = (1u << 28) - 1;

  struct Entry {
    std::shared_ptr<const ResourceType> type;  // null: free slot
    uint32_t rep = 0;
    bool own = false;
    uint32_t num_lends = 0;
    CallScope* scope = nullptr;  // borrow handles: the call they were lent for
  };

  HandleTable();
  ~HandleTable();
  HandleTable(const HandleTable&) = delete;
  HandleTable& operator=(const HandleTable&) = delete;

  // Declares that this instance implements resource type `t`: borrows of it lowered into this
  // instance are passed as the bare rep, not as a handle (the spec's `cx.inst is t.rt.impl`).
  void add_defined(const ResourceType* t);
  bool defines(const ResourceType* t) const;

  // canon resource.new: a new own handle for `rep`.
  Result<uint32_t> resource_new(std::shared_ptr<const ResourceType> type, uint32_t rep);
  // canon resource.rep
  Result<uint32_t> resource_rep(uint32_t index, const ResourceType& type) const;
  // canon resource.drop. Dropping an own handle removes it and returns its rep: the caller then
  // runs the resource's destructor (guest core dtor or host dtor). Dropping a borrow handle ends
  // the borrow and returns nullopt.
  Result<std::optional<uint32_t>> resource_drop(uint32_t index, const ResourceType& type);
  // As above, running `dtor` (if any) on the rep of a dropped own handle.
  using Destructor = std::function<Result<void>(uint32_t rep)>;
  Result<void> resource_drop(uint32_t index, const ResourceType& type, const Destructor& dtor);

  // Lifting moves an own handle out of the table (it must not be lent out) or lends a handle
  // (own or borrow) for the duration of `scope`. Both return the rep.
  Result<uint32_t> lift_own(uint32_t index, const ResourceType& type);
  Result<uint32_t> lift_borrow(uint32_t index, const ResourceType& type, CallScope& scope);
  // Lowering adds an own handle, or a borrow handle that `scope` tracks (or, for a type this
  // instance defines, no handle at all: the rep itself).
  Result<uint32_t> lower_own(std::shared_ptr<const ResourceType> type, uint32_t rep);
  Result<uint32_t> lower_borrow(std::shared_ptr<const ResourceType> type, uint32_t rep,
                                CallScope& scope);

  // The live entry at `index`, or null.
  const Entry* get(uint32_t index) const;
  // Number of live handles.
  size_t size() const { return live_; }

  // Takes over the handles of `older` (an instance of the same component on another engine, at
  // rest between calls): same indices, same reps. This table must be empty. Handles of resource
  // types a guest instance defines (their type identity is per instance) and handles lent to a
  // running call are refused: the error says which.
  Result<void> take_handles_from(HandleTable& older);
  // Whether take_handles_from() would take this table's handles (the reason when not).
  Result<void> check_movable() const;
  // Empties the table; returns the own handles it held (type, rep), whose destructors the caller
  // runs (handles a new instance's start functions made before it takes an older one's).
  std::vector<std::pair<std::shared_ptr<const ResourceType>, uint32_t>> release_all();

 private:
  friend class CallScope;
  // The live entry at `index` of resource type `type`, or the trap saying why not.
  Result<void> check(uint32_t index, const ResourceType& type) const;
  Result<uint32_t> add(Entry e);
  void remove(uint32_t index);

  std::vector<Entry> entries_;
  std::vector<uint32_t> free_;
  std::vector<const ResourceType*> defined_;
  size_t live_ = 0;
};

class CallScope {
 public:
  explicit CallScope(HandleTable& table) : table_(table) {}
  ~CallScope();
  CallScope(const CallScope&) = delete;
  CallScope& operator=(const CallScope&) = delete;

  // Ends the call: gives back lent handles and traps if borrow handles created for this call
  // were not dropped (those are then removed, so the table never refers to a finished scope).
  Result<void> finish();

  uint32_t borrows() const { return num_borrows_; }
  uint32_t lends() const { return num_lent_; }

 private:
  friend class HandleTable;
  void lend(uint32_t index);
  void release();

  HandleTable& table_;
  uint32_t num_borrows_ = 0;
  // Lent handle indices: a few inline, the rest on the heap (most calls lend none or one).
  static constexpr uint32_t kInlineLends = 4;
  uint32_t inline_lent_[kInlineLends] = {};
  std::vector<uint32_t> more_lent_;
  uint32_t num_lent_ = 0;
  bool finished_ = false;
};

}  // namespace actr::component::canonical
