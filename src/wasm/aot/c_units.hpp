// Splits the C of a big module into translation units that compile separately (in parallel, with
// bounded compiler memory, each cached on its own): a 12 MB JavaScript engine module becomes
// ~150 MB of C, which one compiler process cannot take (gcc -O2 passes 7 GB on it).
//
// wasm2c 1.0.32 writes one file: a prelude (includes, macros, static inline helpers), then the
// module's code: func_types, forward declarations of every function, data and element segments
// and init functions, the function definitions, the exports. Unit 0 keeps all but the function
// definitions; the other units get the prelude, the declarations they use and a share of the
// definitions. Functions lose `static` (the objects are built with -fvisibility=hidden, so nothing
// leaves the shared object); definitions that use segment data stay in unit 0.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "actr/common/result.hpp"

namespace actr::wasm::aot {

struct CUnit {
  std::string source;
  size_t largest_function = 0;  // bytes of C of its largest function definition
  bool cold = false;            // only functions a profile did not see running
};

// `source` whole when it is smaller than `unit_bytes`; else unit 0 (the module's own code) and
// units of about `unit_bytes` of definitions each. Errors when the text is not wasm2c's shape.
// With `hot` (one flag per defined function, in index order, as wasm2c writes the definitions),
// the functions it flags and those they call go to units of their own, the others to units
// marked `cold`; a profile whose size is not the number of definitions is ignored.
Result<std::vector<CUnit>> split_into_units(std::string_view source, size_t unit_bytes,
                                            const std::vector<bool>& hot = {});

}  // namespace actr::wasm::aot
