// actr's binding runtime (include/actr/wit; hand-written, not generated): actr-witgen writes a
// copy of it beside the bindings it generates, which include it by its bare name.
// The host side of the bindings: value conversion (actr_wit_host_conv.hpp), the fast canonical-ABI
// path (actr_wit_host_abi.hpp) and resources (actr_wit_host_resources.hpp).
#pragma once

#include "actr_wit_host_resources.hpp"
