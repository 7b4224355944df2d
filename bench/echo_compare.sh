#!/usr/bin/env bash
# The JavaScript echo's dispatch on two code caches, alternated ROUNDS times in one run: the time
# inside the actor (actr_dispatch_duration_seconds sum / count from /metrics) and per HTTP call.
#   bash bench/echo_compare.sh CACHE_A CACHE_B [ROUNDS]
# e.g. a cache filled by `actr compile` (every unit -O1) against one a tiered node filled
# (profile-guided). Run on a quiet machine, after the build.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { echo "usage: $0 CACHE_A CACHE_B [ROUNDS]" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
port=18493
cat > "$work/js.toml" <<TOML
[[actors]]
name = "js"
component = "$PWD/build/guests/js-echo.wasm"
mailbox = "memory"
TOML
measure() {  # cache label
  rm -rf "$work/data"
  ACTR_CACHE_DIR=$1 build/actr run "$work/js.toml" --engine aot --gateway $port \
    --data-dir "$work/data" --log-level warn > "$work/run.log" 2>&1 &
  local pid=$!
  until curl -sf -X POST --data x "http://127.0.0.1:$port/actors/js/echo" > /dev/null 2>&1; do
    kill -0 $pid 2>/dev/null || { cat "$work/run.log" >&2; exit 1; }
    sleep 0.05
  done
  python3 - $port "$2" <<'PY'
import http.client, sys, time
c = http.client.HTTPConnection('127.0.0.1', int(sys.argv[1]))
def call():
    c.request('POST', '/actors/js/echo', b'x' * 64); c.getresponse().read()
for _ in range(200): call()
t = time.perf_counter()
for _ in range(3000): call()
wall = (time.perf_counter() - t) / 3000 * 1e6
c.request('GET', '/metrics'); m = c.getresponse().read().decode()
def total(name):
    return sum(float(l.split()[-1]) for l in m.splitlines() if l.startswith(name))
inside = total('actr_dispatch_duration_seconds_sum') / total('actr_dispatch_duration_seconds_count')
print(f"{sys.argv[2]}: {wall:.0f} us per HTTP call; {inside * 1e6:.1f} us inside the actor")
PY
  kill -INT $pid; wait $pid || true
}
for _ in $(seq "${3:-3}"); do
  measure "$1" A
  measure "$2" B
done
