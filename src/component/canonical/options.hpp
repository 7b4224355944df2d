// The canonical options of one `canon lift` / `canon lower` (CanonicalABI.md: CanonicalOptions),
// bound to the runtime objects of the guest instance they refer to.
#pragma once

#include "actr/wasm/engine.hpp"
#include "component/ast.hpp"

namespace actr::component::canonical {

using StringEncoding = ast::StringEncoding;

class HandleTable;

struct Options {
  StringEncoding encoding = StringEncoding::Utf8;
  // Required as soon as a string or list crosses, or values travel through memory.
  wasm::Memory* memory = nullptr;
  // (old_ptr, old_size, align, new_size) -> ptr; required to pass strings/lists into the guest.
  wasm::Func* realloc = nullptr;
  // Lifted exports only: called with the core results after they have been lifted.
  wasm::Func* post_return = nullptr;
  // The guest instance's handle table; required when resources cross.
  HandleTable* handles = nullptr;
  // The instance's "may leave" flag, when the linker tracks it: cleared while realloc and
  // post-return run (an import called from them must trap), and checked on import calls.
  bool* may_leave = nullptr;
};

}  // namespace actr::component::canonical
