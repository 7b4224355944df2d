#!/usr/bin/env bash
# The main demo: a component built from C by the normal build, inspected and called through the
# canonical ABI on both engines.
set -euo pipefail
cd "$(dirname "$0")/.."
actr=build/actr
component=build/guests/adder.wasm
run() { echo "\$ $*"; "$@"; echo; }
run $actr component wit $component
run $actr component invoke --engine aot $component 'docs:adder/add@0.1.0#add(1, 2)'
run $actr component invoke --engine interp $component 'docs:adder/add@0.1.0#greet("wörld")'
