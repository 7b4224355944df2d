#!/usr/bin/env bash
# The slow lane's fuzzing run: builds the decoder+validator libFuzzer target with clang-19 (ASan +
# UBSan) in its own build directory and fuzzes for a short while. Fails on any crash, leak or
# timeout the fuzzer reports; new crashing inputs are left in fuzz/artifacts/.
#   scripts/fuzz-smoke.sh BUILD_DIR [SECONDS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$1
seconds=${2:-30}
if [ ! -f "$build/CMakeCache.txt" ]; then
  CC=clang-19 CXX=clang++-19 cmake -S "$root" -B "$build" -G Ninja -DACTR_BUILD_FUZZ=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DACTR_BUILD_TESTS=OFF -DACTR_BUILD_BENCH=OFF >/dev/null
fi
cmake --build "$build" --target decoder_fuzz >/dev/null
export FUZZ_WORK="$build/fuzz-work"
exec "$root/fuzz/run_decoder_fuzz.sh" "$build/fuzz/decoder_fuzz" "$seconds" -print_final_stats=1
