#!/bin/sh
# Runs the decoder fuzzer for a while on a seed corpus made at run time from the real components
# in shared/fixtures (and, if a test build has made them, the small components of the unit tests).
# New crashing inputs land in fuzz/artifacts/; copy them to tests/component/fuzz_regressions/.
#   fuzz/run_decoder_fuzz.sh <path to decoder_fuzz> [seconds] [extra libFuzzer flags...]
set -eu
fuzzer=$1
seconds=${2:-300}
shift $(( $# >= 2 ? 2 : 1 ))
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${ACTR_SHARED_DIR:-$root/../shared}
work=${FUZZ_WORK:-$root/fuzz/work}
mkdir -p "$work/corpus" "$work/seeds" "$root/fuzz/artifacts"
for f in "$shared"/fixtures/components/*.wasm "$root"/tests/component/fuzz_regressions/*; do
  [ -f "$f" ] && cp "$f" "$work/seeds/"
done
# Components the unit tests converted from text (any build directory's cache).
for f in "$root"/build*/test-cache/component-text/*.wasm; do
  [ -f "$f" ] && cp "$f" "$work/seeds/"
done
exec "$fuzzer" "$work/corpus" "$work/seeds" -max_total_time="$seconds" -max_len=262144 \
  -rss_limit_mb=2048 -timeout=10 -artifact_prefix="$root/fuzz/artifacts/" "$@"
