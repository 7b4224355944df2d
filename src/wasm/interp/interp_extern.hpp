// What every extern handed out by an interpreter store knows: its store and its wabt object.
#pragma once

#include "actr/wasm/engine.hpp"
#include "wabt/interp/interp.h"

namespace actr::wasm::interp {

namespace wi = wabt::interp;

class InterpStore;

class InterpExtern {
 public:
  InterpExtern(InterpStore* store, wi::Ref ref) : store_(store), ref_(ref) {}
  virtual ~InterpExtern() = default;

  InterpStore* store() const { return store_; }
  wi::Ref ref() const { return ref_; }

 protected:
  InterpStore* store_;
  wi::Ref ref_;
};

// The interpreter side of `e`, or null when `e` comes from another engine.
InterpExtern* as_interp(const Extern& e);

}  // namespace actr::wasm::interp
