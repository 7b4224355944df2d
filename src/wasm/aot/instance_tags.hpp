// Exception tags per instance in wasm2c 1.0.32's output.
//
// wasm2c 1.0.32 keeps a module's tags in static variables registered once per loaded module, and
// reaches imported tags through global symbols. Tags are generative per instance, though: two
// instances of one module define two tags, and two instances may import different tags. This
// rewrite moves every tag into the instance struct: a defined tag becomes a field the glue
// registers at instantiation, an imported tag a field pointing at the defining instance's id, and
// a tag export a function of the instance (as wasm2c writes for memories and globals).
#pragma once

#include <string>

#include "actr/common/result.hpp"
#include "wasm/aot/c_translation.hpp"
#include "wasm/aot/module_shape.hpp"

namespace actr::wasm::aot {

// The instance field holding the pointer to imported tag `symbol` (wasm2c's import symbol, as
// mangle_c_name(module) + mangle_c_name(name)).
std::string imported_tag_field(const std::string& symbol);

// Rewrites `c` in place; `prefix` is "Z_<module name>". Returns the C statements that register
// the defined tags of `instance` (a pointer to the instance struct), for the glue to run before
// wasm2c's instantiate; empty when the module defines no tag.
Result<std::string> move_tags_into_instance(CTranslation& c, const ModuleShape& shape,
                                            const std::string& prefix);

}  // namespace actr::wasm::aot
