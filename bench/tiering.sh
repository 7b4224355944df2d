#!/usr/bin/env bash
# Tiered execution, measured: cold and warm starts of the demo node and of the 12 MB JavaScript
# workload, the compile of each tier (time, peak memory) and the dispatch cost on each tier.
#   bash bench/tiering.sh            (after the build; takes ~8 minutes, most of it the JS compile)
# Prints a Markdown table. Run it on a quiet machine: the figures are wall times.
set -euo pipefail
cd "$(dirname "$0")/.."
actr=$PWD/build/actr
js=$PWD/build/guests/js-echo.wasm
work=$(mktemp -d)
trap 'pkill -INT -f "actr run $work" 2>/dev/null || true; sleep 0.5; rm -rf "$work"' EXIT
port=18490

# Seconds from `actr run` to the first answered call of TARGET ROUTE.
first_call() {  # cache config target route [engine]
  local cache=$1 config=$2 target=$3 route=$4 engine=${5:-tiered}
  rm -rf "$work/data"
  local start end
  start=$(date +%s.%N)
  ACTR_CACHE_DIR=$cache "$actr" run "$config" --engine "$engine" --gateway $port \
    --data-dir "$work/data" --log-level warn > "$work/run.log" 2>&1 &
  local pid=$!
  until curl -sf -X POST --data x "http://127.0.0.1:$port/actors/$target/$route" > /dev/null 2>&1; do
    kill -0 $pid 2>/dev/null || { cat "$work/run.log" >&2; exit 1; }
    sleep 0.01
  done
  end=$(date +%s.%N)
  kill -INT $pid; wait $pid || true
  echo "$end - $start" | bc
}

# Microseconds per call of ROUTE (64 B) over one kept-alive HTTP connection.
per_call() {  # target route count
  python3 - "$port" "$1" "$2" "${3:-500}" <<'PY'
import http.client, sys, time
port, target, route, n = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
c = http.client.HTTPConnection('127.0.0.1', port)
def call():
    c.request('POST', f'/actors/{target}/{route}', b'x' * 64); r = c.getresponse(); r.read()
for _ in range(20): call()
t = time.perf_counter()
for _ in range(n): call()
print(f"{(time.perf_counter() - t) / n * 1e6:.0f}")
PY
}

# Peak total RSS (MB) of the compiler processes while COMMAND runs.
compiler_peak() {
  local peak=0
  "$@" > "$work/compile.log" 2>&1 &
  local pid=$!
  while kill -0 $pid 2>/dev/null; do
    local now
    now=$(ps -C cc1 -o rss= 2>/dev/null | awk '{s+=$1} END {print int(s/1024)}')
    [ "${now:-0}" -gt "$peak" ] && peak=$now
    sleep 0.5
  done
  wait $pid
  echo "$peak"
}

cat > "$work/js.toml" <<TOML
[[actors]]
name = "js"
component = "$js"
mailbox = "memory"
TOML
demo=$PWD/examples/node/actr.toml

echo "| measure | figure |"
echo "|---|---|"
cold=$(mktemp -d -p "$work")
echo "| demo node, first call, cold code cache (tiered: interpreter) | $(first_call "$cold" "$demo" acme/greeter greet) s |"
echo "| demo node, first call, cold code cache (engine = aot: compiles first) | $(first_call "$(mktemp -d -p "$work")" "$demo" acme/greeter greet aot) s |"
"$actr" compile --cache-dir "$cold" build/guests/echo.wasm build/guests/counter.wasm build/guests/greeter.wasm > /dev/null 2>&1
echo "| demo node, first call, warm code cache (compiled code at once) | $(first_call "$cold" "$demo" acme/greeter greet) s |"
jscold=$(mktemp -d -p "$work")
echo "| JS workload (12 MB), first call, cold code cache (tiered: interpreter) | $(first_call "$jscold" "$work/js.toml" js echo) s |"

# The optimized tier as a tiered node makes it: 300 echo calls on the interpreter (its profile),
# then the background compile; seconds from `actr run` to the actor's move to compiled code.
tier_up() {  # cache
  rm -rf "$work/data"
  local start end
  start=$(date +%s.%N)
  ACTR_CACHE_DIR=$1 "$actr" run "$work/js.toml" --gateway $port --data-dir "$work/data" \
    --log-level info > "$work/tier.log" 2>&1 &
  local pid=$!
  python3 - "$port" 300 <<'PY'
import http.client, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
while True:
    try:
        c = http.client.HTTPConnection('127.0.0.1', port)
        c.request('POST', '/actors/js/echo', b'x' * 64); c.getresponse().read(); break
    except OSError:
        time.sleep(0.01)
for _ in range(n):
    c.request('POST', '/actors/js/echo', b'x' * 64); c.getresponse().read()
PY
  until grep -q "move to the compiled code" "$work/tier.log"; do
    kill -0 $pid 2>/dev/null || { cat "$work/tier.log" >&2; exit 1; }
    sleep 0.1
  done
  end=$(date +%s.%N)
  kill -INT $pid; wait $pid || true
  local ran
  ran=$(grep -o "[0-9]* of [0-9]* functions ran before" "$work/tier.log" | head -1)
  echo "$(echo "$end - $start" | bc) s ($ran)"
}
jsprofiled=$(mktemp -d -p "$work")
echo "| JS workload, optimized tier while serving (tiered node: profile-guided compile) | $(tier_up "$jsprofiled") |"
start=$(date +%s.%N)
peak=$(compiler_peak /usr/bin/time -f "%e %U %M" "$actr" compile --cache-dir "$jscold" "$js")
read -r wall user actr_rss < <(tail -1 "$work/compile.log")
echo "| JS workload, optimized tier compile (actr compile) | $wall s wall, $user s CPU; compilers' peak RSS $peak MB in total, actr $((actr_rss / 1024)) MB |"
echo "| JS workload, first call, warm code cache (compiled code at once) | $(first_call "$jscold" "$work/js.toml" js echo) s |"

# Dispatch per tier, over HTTP (the same client and gateway for both): LABEL CACHE CONFIG
# TARGET ROUTE CALLS, once per engine.
gateway_dispatch() {
  local label=$1 cache=$2 config=$3 target=$4 route=$5 calls=$6 engine
  for engine in interp aot; do
    rm -rf "$work/data"
    ACTR_CACHE_DIR=$cache "$actr" run "$config" --engine "$engine" --gateway $port \
      --data-dir "$work/data" --log-level warn > "$work/run.log" 2>&1 &
    pid=$!
    until curl -sf -X POST --data x "http://127.0.0.1:$port/actors/$target/$route" > /dev/null 2>&1; do
      sleep 0.02
    done
    echo "| $label echo 64 B through the gateway, $engine | $(per_call "$target" "$route" "$calls") us per call |"
    kill -INT $pid; wait $pid || true
  done
}
gateway_dispatch JS "$jscold" "$work/js.toml" js echo 300
# The profile-guided object against the all -O1 one (the aot row above).
{
  rm -rf "$work/data"
  ACTR_CACHE_DIR=$jsprofiled "$actr" run "$work/js.toml" --engine aot --gateway $port \
    --data-dir "$work/data" --log-level warn > "$work/run.log" 2>&1 &
  pid=$!
  until curl -sf -X POST --data x "http://127.0.0.1:$port/actors/js/echo" > /dev/null 2>&1; do
    sleep 0.02
  done
  echo "| JS echo 64 B through the gateway, aot, profile-guided object | $(per_call js echo 300) us per call |"
  kill -INT $pid; wait $pid || true
}
gateway_dispatch "C++" "$cold" "$demo" acme/echo echo 2000
