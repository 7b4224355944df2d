// Function handles of an interpreter store: guest functions and host functions.
#pragma once

#include "wasm/interp/interp_extern.hpp"
#include "wasm/interp/interp_store.hpp"

namespace actr::wasm::interp {

class InterpGuestFunc final : public Func, public InterpExtern {
 public:
  InterpGuestFunc(InterpStore* store, const wi::DefinedFunc& func, FuncType type)
      : InterpExtern(store, func.self()), func_(func), type_(std::move(type)) {}

  const FuncType& type() const override { return type_; }
  Result<void> call(const Slot* args, Slot* results) override {
    return store_->call_guest(func_, type_, args, results);
  }

 private:
  const wi::DefinedFunc& func_;
  FuncType type_;
};

class InterpHostFunc final : public Func, public InterpExtern {
 public:
  InterpHostFunc(InterpStore* store, FuncType type, HostFn fn)
      : InterpExtern(store, wi::Ref::Null), type_(std::move(type)), fn_(std::move(fn)) {}

  const FuncType& type() const override { return type_; }
  // A call from the host runs the body directly: no guest code is entered.
  Result<void> call(const Slot* args, Slot* results) override { return fn_(args, results); }

  const HostFn& fn() const { return fn_; }
  void bind(wi::Ref ref) { ref_ = ref; }

 private:
  FuncType type_;
  HostFn fn_;
};

}  // namespace actr::wasm::interp
