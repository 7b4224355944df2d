// actr's binding runtime (include/actr/wit; hand-written, not generated): actr-witgen writes a
// copy of it beside the bindings it generates, which include it by its bare name.
// Resources of host bindings: host-defined resource objects by rep, guest resources held by the
// host, and resource handles inside other types.
#pragma once

#include "actr_wit_host_abi.hpp"

namespace actr::wit::host {

// ---- Resources ----

// The host objects behind the handles of one host-defined resource type, by rep. Reps start at 1
// and are never reused, so a stale rep cannot reach a newer object. Objects are owned by the
// table (insert) or lent to it for the length of a call (lend).
template <class T>
class RepTable {
 public:
  RepTable() = default;
  RepTable(const RepTable&) = delete;
  RepTable& operator=(const RepTable&) = delete;
  ~RepTable() {
    for (auto& [rep, e] : objects_) {
      if (e.owned) delete e.object;
    }
  }

  // The rep of `object`, now owned by the table; nothing once 2^32 - 1 reps have been given.
  std::optional<uint32_t> insert(std::unique_ptr<T> object) {
    if (next_ == 0 || !object) return std::nullopt;
    uint32_t rep = next_++;
    objects_.emplace(rep, Entry{object.release(), true});
    return rep;
  }
  // A rep for an object the caller keeps owning; end_lend() forgets it.
  std::optional<uint32_t> lend(T& object) {
    if (next_ == 0) return std::nullopt;
    uint32_t rep = next_++;
    objects_.emplace(rep, Entry{&object, false});
    return rep;
  }
  void end_lend(uint32_t rep) {
    auto it = objects_.find(rep);
    if (it != objects_.end() && !it->second.owned) objects_.erase(it);
  }
  T* get(uint32_t rep) const {
    auto it = objects_.find(rep);
    return it == objects_.end() ? nullptr : it->second.object;
  }
  // Takes an owned object out of the table (an own handle moved to the host).
  std::unique_ptr<T> take(uint32_t rep) {
    auto it = objects_.find(rep);
    if (it == objects_.end() || !it->second.owned) return nullptr;
    std::unique_ptr<T> out(it->second.object);
    objects_.erase(it);
    return out;
  }
  // Forgets the rep, destroying an owned object (the guest dropped its last handle).
  bool erase(uint32_t rep) {
    auto it = objects_.find(rep);
    if (it == objects_.end()) return false;
    Entry e = it->second;
    objects_.erase(it);
    if (e.owned) delete e.object;  // after the table is consistent again
    return true;
  }
  size_t size() const { return objects_.size(); }

 private:
  struct Entry {
    T* object;
    bool owned;
  };
  std::unordered_map<uint32_t, Entry> objects_;
  uint32_t next_ = 1;
};

// Where export proxies find the table of a host-defined resource type: add_to_linker registers
// each table under the type Linker::resource returned.
class HostResources {
 public:
  static void add(const std::shared_ptr<const component::ResourceType>& type,
                  std::shared_ptr<void> table) {
    std::lock_guard<std::mutex> lock(mutex());
    auto& all = entries();
    std::erase_if(all, [](const Entry& e) { return e.type.expired() || e.table.expired(); });
    all.push_back({type, table});
  }
  // The table and type of host resource `name` of import instance `instance` in `linker`: the
  // first add_to_linker that needs them (the interface's own, or one whose functions `use` the
  // resource) defines them, the others share them.
  template <class T>
  static std::pair<std::shared_ptr<RepTable<T>>, std::shared_ptr<const component::ResourceType>>
  define(component::Linker& linker, std::string_view instance, std::string_view name) {
    const auto& defs = linker.definitions();
    if (auto i = defs.find(instance); i != defs.end()) {
      if (auto r = i->second.resources.find(name); r != i->second.resources.end()) {
        if (auto table = find<T>(r->second.type)) return {table, r->second.type};
      }
    }
    auto reps = std::make_shared<RepTable<T>>();
    auto type = linker.resource(instance, name, [reps](uint32_t rep) { reps->erase(rep); });
    add(type, reps);
    return {reps, type};
  }
  template <class T>
  static std::shared_ptr<RepTable<T>> find(
      const std::shared_ptr<const component::ResourceType>& type) {
    std::lock_guard<std::mutex> lock(mutex());
    for (const auto& e : entries()) {
      if (e.type.lock() == type) return std::static_pointer_cast<RepTable<T>>(e.table.lock());
    }
    return nullptr;
  }

 private:
  struct Entry {
    std::weak_ptr<const component::ResourceType> type;
    std::weak_ptr<void> table;
  };
  static std::mutex& mutex() {
    static std::mutex m;
    return m;
  }
  static std::vector<Entry>& entries() {
    static std::vector<Entry> e;
    return e;
  }
};

// An own handle to a resource a guest instance defines (e.g. from its constructor). Move-only;
// the destructor drops it through the instance, which runs the guest's destructor. The instance
// must outlive the handle (or the handle be released first).
class GuestResource {
 public:
  GuestResource() = default;
  GuestResource(component::Instance& instance, component::ResourceHandle handle)
      : instance_(&instance), handle_(std::move(handle)) {}
  GuestResource(GuestResource&& o) noexcept
      : instance_(std::exchange(o.instance_, nullptr)), handle_(std::move(o.handle_)) {}
  GuestResource& operator=(GuestResource&& o) noexcept {
    if (this != &o) {
      (void)drop();
      instance_ = std::exchange(o.instance_, nullptr);
      handle_ = std::move(o.handle_);
    }
    return *this;
  }
  GuestResource(const GuestResource&) = delete;
  GuestResource& operator=(const GuestResource&) = delete;
  ~GuestResource() { (void)drop(); }

  bool valid() const { return instance_ != nullptr; }
  component::Instance* instance() const { return instance_; }
  const component::ResourceHandle& handle() const { return handle_; }
  // Drops the handle now; an Error when the guest's destructor traps. No-op when empty.
  ::actr::Result<void> drop() {
    if (!instance_) return {};
    component::Instance* instance = std::exchange(instance_, nullptr);
    return instance->drop(Value::own(handle_));
  }
  // Gives the handle up (e.g. to pass it as an own argument): this object no longer drops it.
  component::ResourceHandle release() {
    instance_ = nullptr;
    return handle_;
  }

  // The argument for a borrow parameter of a call into `instance`.
  ::actr::Result<Value> borrow_for(component::Instance& instance, const char* what) const {
    ACTR_TRY_VOID(check(instance, what));
    return Value::borrow(handle_);
  }
  // The argument for an own parameter of a call into `instance`: the handle moves to the guest.
  ::actr::Result<Value> own_for(component::Instance& instance, const char* what) {
    ACTR_TRY_VOID(check(instance, what));
    return Value::own(release());
  }

 private:
  ::actr::Result<void> check(component::Instance& instance, const char* what) const {
    if (!instance_) return make_error(std::string(what) + ": the handle was dropped or moved");
    if (instance_ != &instance) {
      return make_error(std::string(what) + ": the handle belongs to another instance");
    }
    return {};
  }

  component::Instance* instance_ = nullptr;
  component::ResourceHandle handle_;
};

// The resource type of parameter or result `index` of `type` (own or borrow), or null.
inline std::shared_ptr<const component::ResourceType> resource_in(const component::FuncType& type,
                                                                  bool result, size_t index) {
  const auto& list = result ? type.results : type.params;
  if (index >= list.size() || !list[index].type) return nullptr;
  const auto& t = *list[index].type;
  if (t.kind != Kind::Own && t.kind != Kind::Borrow) return nullptr;
  return t.resource;
}

// ---- Resource handles inside other types (list<own<r>>, option<borrow<r>>, records...) ----
// Conv<> of a handle spelling needs the resource's type and its table (a host resource) or
// instance (a guest resource). The generated code installs a HandleContext naming them around
// each conversion; Conv<> finds it through the thread's innermost context. Converting an own
// handle to a Value moves it out of the C++ value (the bindings only convert values they own).

template <class C>
struct HandleKey {
  static constexpr char key = 0;
};

struct HandleBinding {
  const void* key = nullptr;  // &HandleKey<C>::key of the resource's class
  std::shared_ptr<const component::ResourceType> type;
  void* reps = nullptr;                      // RepTable<C>* of a host resource
  void (*erase)(void*, uint32_t) = nullptr;  // forgets a rep of that table
  component::Instance* instance = nullptr;   // the instance of a guest resource
};

template <class C>
HandleBinding host_binding(RepTable<C>* reps, std::shared_ptr<const component::ResourceType> type) {
  return {&HandleKey<C>::key, std::move(type), reps,
          [](void* t, uint32_t rep) { static_cast<RepTable<C>*>(t)->erase(rep); }, nullptr};
}
template <class H>
HandleBinding guest_binding(component::Instance* instance,
                            std::shared_ptr<const component::ResourceType> type) {
  return {&HandleKey<H>::key, std::move(type), nullptr, nullptr, instance};
}

class HandleContext {
 public:
  explicit HandleContext(std::vector<HandleBinding> bindings)
      : bindings_(std::move(bindings)), outer_(std::exchange(current_(), this)) {}
  HandleContext(const HandleContext&) = delete;
  HandleContext& operator=(const HandleContext&) = delete;
  ~HandleContext() {
    end_lends();
    current_() = outer_;
  }

  static HandleContext* current() { return current_(); }
  const HandleBinding* find(const void* key) const {
    for (const auto& b : bindings_) {
      if (b.key == key) return &b;
    }
    return outer_ ? outer_->find(key) : nullptr;
  }

  // The first error of a conversion to a Value (which cannot return one).
  void fail(Error e) {
    if (!error_) error_ = std::move(e);
  }
  ::actr::Result<void> status() {
    if (!error_) return {};
    return std::exchange(error_, std::nullopt).value();
  }

  // Host objects lent for a call (borrow<r> inside an argument): forgotten after it.
  void lent(const HandleBinding& b, uint32_t rep) { lends_.push_back({&b, rep}); }
  void end_lends() {
    for (const auto& [b, rep] : lends_) b->erase(b->reps, rep);  // lent entries are not owned
    lends_.clear();
  }
  // A guest handle a conversion took over (its C++ object now drops it).
  void adopted(uint32_t rep, const component::ResourceType* type) {
    adopted_.push_back({type, rep});
  }

  // Releases the own handles of `v` no C++ object took: host objects leave their table
  // (destroyed), guest handles are dropped. For a conversion that failed half way.
  void discard(const Value& v) {
    if (v.kind == Kind::Own) {
      for (const auto& b : bindings_) {
        if (b.type.get() != v.handle.type.get()) continue;
        if (b.reps) {
          b.erase(b.reps, v.handle.rep);  // a rep already taken is no longer there
        } else if (b.instance &&
                   std::find(adopted_.begin(), adopted_.end(),
                             std::pair{b.type.get(), v.handle.rep}) == adopted_.end()) {
          (void)b.instance->drop(v);
        }
      }
      return;
    }
    for (const auto& item : v.items) discard(item);
  }
  template <class Values>
  void discard_all(const Values& values) {
    for (const auto& v : values) discard(v);
  }

 private:
  static HandleContext*& current_() {
    static thread_local HandleContext* c = nullptr;
    return c;
  }
  std::vector<HandleBinding> bindings_;
  HandleContext* outer_;
  std::optional<Error> error_;
  std::vector<std::pair<const HandleBinding*, uint32_t>> lends_;
  std::vector<std::pair<const component::ResourceType*, uint32_t>> adopted_;
};

template <class C>
const HandleBinding* handle_binding() {
  HandleContext* ctx = HandleContext::current();
  return ctx ? ctx->find(&HandleKey<C>::key) : nullptr;
}
inline Value no_handle(const char* why) {
  if (HandleContext* ctx = HandleContext::current()) ctx->fail(make_error(why));
  return Value::none();  // never sent: the caller checks status() first
}

// own<r> of a host resource: std::unique_ptr<C>, moved into (to) or out of (from) its table.
template <class C>
struct HostOwnConv {
  static TypeRef type() {
    const HandleBinding* b = handle_binding<C>();
    return component::own_of(b ? b->type : nullptr);
  }
  static Value to(const std::unique_ptr<C>& v) {
    const HandleBinding* b = handle_binding<C>();
    if (!b || !b->reps) return no_handle("own handle: no resource table for the conversion");
    auto rep =
        static_cast<RepTable<C>*>(b->reps)->insert(std::move(const_cast<std::unique_ptr<C>&>(v)));
    if (!rep) return no_handle("own handle: no object, or no reps left");
    return Value::own({b->type, *rep});
  }
  static ::actr::Result<std::unique_ptr<C>> from(const Value& v) {
    const HandleBinding* b = handle_binding<C>();
    if (v.kind != Kind::Own) return shape_error("own", v);
    if (!b || !b->reps) return make_error("own handle: no resource table for the conversion");
    if (v.handle.type != b->type) return make_error("own handle of another resource type");
    auto object = static_cast<RepTable<C>*>(b->reps)->take(v.handle.rep);
    if (!object) return make_error("unknown own handle (rep " + std::to_string(v.handle.rep) + ")");
    return object;
  }
};

// borrow<r> of a host resource: C*, lent to the table for the call (to) or found in it (from).
template <class C>
struct HostBorrowConv {
  static TypeRef type() {
    const HandleBinding* b = handle_binding<C>();
    return component::borrow_of(b ? b->type : nullptr);
  }
  static Value to(C* v) {
    const HandleBinding* b = handle_binding<C>();
    if (!b || !b->reps) return no_handle("borrow: no resource table for the conversion");
    if (!v) return no_handle("borrow: null object");
    auto rep = static_cast<RepTable<C>*>(b->reps)->lend(*v);
    if (!rep) return no_handle("borrow: no reps left");
    HandleContext::current()->lent(*b, *rep);
    return Value::borrow({b->type, *rep});
  }
  static ::actr::Result<C*> from(const Value& v) {
    const HandleBinding* b = handle_binding<C>();
    if (v.kind != Kind::Borrow && v.kind != Kind::Own) return shape_error("borrow", v);
    if (!b || !b->reps) return make_error("borrow: no resource table for the conversion");
    if (v.handle.type != b->type) return make_error("borrow of another resource type");
    C* object = static_cast<RepTable<C>*>(b->reps)->get(v.handle.rep);
    if (!object)
      return make_error("unknown borrowed handle (rep " + std::to_string(v.handle.rep) + ")");
    return object;
  }
};

// own<r> of a guest resource: the GuestResource class H, moved into the call or made from it.
template <class H>
struct GuestOwnConv {
  static TypeRef type() {
    const HandleBinding* b = handle_binding<H>();
    return component::own_of(b ? b->type : nullptr);
  }
  static Value to(const H& v) {
    const HandleBinding* b = handle_binding<H>();
    if (!b || !b->instance) return no_handle("own handle: no instance for the conversion");
    auto arg = const_cast<H&>(v).own_for(*b->instance, "own handle");
    if (!arg.ok()) return no_handle(arg.error().message.c_str());
    return std::move(*arg);
  }
  static ::actr::Result<H> from(const Value& v) {
    const HandleBinding* b = handle_binding<H>();
    if (v.kind != Kind::Own) return shape_error("own", v);
    if (!b || !b->instance) return make_error("own handle: no instance for the conversion");
    if (v.handle.type != b->type) return make_error("own handle of another resource type");
    HandleContext::current()->adopted(v.handle.rep, b->type.get());
    return H(*b->instance, v.handle);
  }
};

// borrow<r> of a guest resource: `const H*`, lent to the call. A host import never receives one
// (an imported interface cannot name a resource of an exported one).
template <class H>
struct GuestBorrowConv {
  static TypeRef type() {
    const HandleBinding* b = handle_binding<H>();
    return component::borrow_of(b ? b->type : nullptr);
  }
  static Value to(const H* v) {
    const HandleBinding* b = handle_binding<H>();
    if (!b || !b->instance) return no_handle("borrow: no instance for the conversion");
    if (!v) return no_handle("borrow: null handle");
    auto arg = v->borrow_for(*b->instance, "borrow");
    if (!arg.ok()) return no_handle(arg.error().message.c_str());
    return std::move(*arg);
  }
  static ::actr::Result<const H*> from(const Value&) {
    return make_error("a borrow of a guest resource cannot reach the host");
  }
};

// The resource type of the handle at `path` inside parameter or result `index` of `type`, or
// null. Steps: -1 the element (list, option, map value), -2 a map's key, -3 ok, -4 err, i >= 0
// field, item or case i.
inline std::shared_ptr<const component::ResourceType> resource_at(const component::FuncType& type,
                                                                  bool result, size_t index,
                                                                  std::initializer_list<int> path) {
  const auto& list = result ? type.results : type.params;
  if (index >= list.size()) return nullptr;
  const component::ValueType* t = list[index].type.get();
  for (int step : path) {
    if (!t) return nullptr;
    switch (step) {
      case -1:
        t = t->elem.get();
        break;
      case -2:
        t = t->key.get();
        break;
      case -3:
        t = t->ok.get();
        break;
      case -4:
        t = t->err.get();
        break;
      default: {
        auto i = static_cast<size_t>(step);
        if (t->kind == Kind::Record) {
          t = i < t->fields.size() ? t->fields[i].type.get() : nullptr;
        } else if (t->kind == Kind::Tuple) {
          t = i < t->items.size() ? t->items[i].get() : nullptr;
        } else if (t->kind == Kind::Variant) {
          t = i < t->cases.size() ? t->cases[i].type.get() : nullptr;
        } else {
          t = nullptr;
        }
      }
    }
  }
  if (!t || (t->kind != Kind::Own && t->kind != Kind::Borrow)) return nullptr;
  return t->resource;
}

}  // namespace actr::wit::host
