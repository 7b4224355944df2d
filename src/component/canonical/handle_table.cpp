#include "component/canonical/handle_table.hpp"

#include <algorithm>
#include <string>

#include "actr/wasm/trap.hpp"

namespace actr::component::canonical {

namespace {

Error trap(std::string message) {
  return wasm::make_trap(wasm::TrapKind::Other, std::move(message));
}

Error unknown_handle(uint32_t index) {
  return trap("unknown handle index " + std::to_string(index));
}

const char* defined_by(const ResourceType& t) { return t.host_defined ? "host" : "guest"; }

std::string name_of(const ResourceType& t) { return t.name.empty() ? "<anonymous>" : t.name; }

Error wrong_type(uint32_t index, const ResourceType& expected, const ResourceType& found) {
  std::string msg = "handle index " + std::to_string(index) +
                    " used with the wrong type, expected " + defined_by(expected) +
                    "-defined resource but found a ";
  if (expected.host_defined == found.host_defined) msg += "different ";
  msg += defined_by(found);
  msg += "-defined resource (expected `" + name_of(expected) + "`, found `" + name_of(found) + "`)";
  return trap(std::move(msg));
}

}  // namespace

HandleTable::HandleTable() { entries_.emplace_back(); }  // index 0 is never valid

HandleTable::~HandleTable() = default;

void HandleTable::add_defined(const ResourceType* t) {
  if (!defines(t)) defined_.push_back(t);
}

Result<void> HandleTable::check_movable() const {
  for (size_t i = 0; i < entries_.size(); ++i) {
    const Entry& e = entries_[i];
    if (!e.type) continue;
    if (!e.type->host_defined) {
      return make_error("handle " + std::to_string(i) + " is of resource `" + e.type->name +
                        "`, which the guest defines: its type is not carried over");
    }
    if (e.num_lends != 0 || e.scope != nullptr) {
      return make_error("handle " + std::to_string(i) + " is lent to a call in progress");
    }
  }
  return {};
}

std::vector<std::pair<std::shared_ptr<const ResourceType>, uint32_t>> HandleTable::release_all() {
  std::vector<std::pair<std::shared_ptr<const ResourceType>, uint32_t>> owned;
  for (auto& e : entries_) {
    if (e.type && e.own) owned.emplace_back(e.type, e.rep);
  }
  entries_.clear();
  free_.clear();
  live_ = 0;
  return owned;
}

Result<void> HandleTable::take_handles_from(HandleTable& older) {
  if (live_ != 0) return make_error("the new instance already holds resource handles");
  ACTR_TRY_VOID(older.check_movable());
  entries_ = older.entries_;
  free_ = older.free_;
  live_ = older.live_;
  older.entries_.clear();
  older.free_.clear();
  older.live_ = 0;
  return {};
}

bool HandleTable::defines(const ResourceType* t) const {
  return std::find(defined_.begin(), defined_.end(), t) != defined_.end();
}

const HandleTable::Entry* HandleTable::get(uint32_t index) const {
  if (index == 0 || index >= entries_.size() || !entries_[index].type) return nullptr;
  return &entries_[index];
}

Result<void> HandleTable::check(uint32_t index, const ResourceType& type) const {
  if (index == 0 || index >= entries_.size() || !entries_[index].type) return unknown_handle(index);
  const Entry& e = entries_[index];
  if (e.type.get() != &type) return wrong_type(index, type, *e.type);
  return {};
}

Result<uint32_t> HandleTable::add(Entry e) {
  uint32_t index;
  if (!free_.empty()) {
    index = free_.back();
    free_.pop_back();
    entries_[index] = std::move(e);
  } else {
    if (entries_.size() > kMaxLength) return trap("handle table is full");
    index = static_cast<uint32_t>(entries_.size());
    entries_.push_back(std::move(e));
  }
  ++live_;
  return index;
}

void HandleTable::remove(uint32_t index) {
  entries_[index] = Entry{};
  free_.push_back(index);
  --live_;
}

Result<uint32_t> HandleTable::resource_new(std::shared_ptr<const ResourceType> type, uint32_t rep) {
  if (!type) return trap("resource.new: no resource type");
  return add(Entry{std::move(type), rep, true, 0, nullptr});
}

Result<uint32_t> HandleTable::resource_rep(uint32_t index, const ResourceType& type) const {
  ACTR_TRY_VOID(check(index, type));
  return entries_[index].rep;
}

Result<std::optional<uint32_t>> HandleTable::resource_drop(uint32_t index,
                                                           const ResourceType& type) {
  ACTR_TRY_VOID(check(index, type));
  Entry* e = &entries_[index];
  if (e->num_lends != 0) return trap("cannot remove owned resource while borrowed");
  std::optional<uint32_t> destroy;
  if (e->own) {
    destroy = e->rep;
  } else if (e->scope) {
    --e->scope->num_borrows_;
  }
  remove(index);
  return destroy;
}

Result<void> HandleTable::resource_drop(uint32_t index, const ResourceType& type,
                                        const Destructor& dtor) {
  ACTR_TRY(std::optional<uint32_t> destroy, resource_drop(index, type));
  if (destroy && dtor) return dtor(*destroy);
  return {};
}

Result<uint32_t> HandleTable::lift_own(uint32_t index, const ResourceType& type) {
  ACTR_TRY_VOID(check(index, type));
  Entry* e = &entries_[index];
  if (e->num_lends != 0) return trap("cannot remove owned resource while borrowed");
  if (!e->own) {
    return trap("handle index " + std::to_string(index) +
                " is a borrow, but an owned handle is required");
  }
  uint32_t rep = e->rep;
  remove(index);
  return rep;
}

Result<uint32_t> HandleTable::lift_borrow(uint32_t index, const ResourceType& type,
                                          CallScope& scope) {
  ACTR_TRY_VOID(check(index, type));
  Entry* e = &entries_[index];
  if (&scope.table_ != this) return trap("internal error: call scope of another handle table");
  ++e->num_lends;
  scope.lend(index);
  return e->rep;
}

Result<uint32_t> HandleTable::lower_own(std::shared_ptr<const ResourceType> type, uint32_t rep) {
  if (!type) return trap("own handle without a resource type");
  return add(Entry{std::move(type), rep, true, 0, nullptr});
}

Result<uint32_t> HandleTable::lower_borrow(std::shared_ptr<const ResourceType> type, uint32_t rep,
                                           CallScope& scope) {
  if (!type) return trap("borrow handle without a resource type");
  if (defines(type.get())) return rep;
  if (&scope.table_ != this) return trap("internal error: call scope of another handle table");
  ACTR_TRY(uint32_t index, add(Entry{std::move(type), rep, false, 0, &scope}));
  ++scope.num_borrows_;
  return index;
}

CallScope::~CallScope() {
  if (!finished_) (void)finish();
}

void CallScope::lend(uint32_t index) {
  if (num_lent_ < kInlineLends) {
    inline_lent_[num_lent_] = index;
  } else {
    more_lent_.push_back(index);
  }
  ++num_lent_;
}

void CallScope::release() {
  // A lent handle cannot be removed while lent (drop and lift_own trap), so its index still
  // names the same entry.
  for (uint32_t i = 0; i < num_lent_; ++i) {
    uint32_t index = i < kInlineLends ? inline_lent_[i] : more_lent_[i - kInlineLends];
    if (index < table_.entries_.size() && table_.entries_[index].num_lends > 0)
      --table_.entries_[index].num_lends;
  }
  num_lent_ = 0;
  more_lent_.clear();
}

Result<void> CallScope::finish() {
  if (finished_) return {};
  finished_ = true;
  release();
  if (num_borrows_ == 0) return {};
  uint32_t remaining = num_borrows_;
  for (uint32_t i = 1; i < table_.entries_.size() && num_borrows_ > 0; ++i) {
    HandleTable::Entry& e = table_.entries_[i];
    if (e.type && !e.own && e.scope == this) {
      table_.remove(i);
      --num_borrows_;
    }
  }
  num_borrows_ = 0;
  return trap("borrow handles still remain at the end of the call (" + std::to_string(remaining) +
              " not dropped)");
}

}  // namespace actr::component::canonical
