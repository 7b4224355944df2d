#!/usr/bin/env bash
# actr side by side with Erlang/OTP and CAF on this machine, in one run (issue 15): our
# bench_runtime_bench and bench_cluster_bench (--json), then the same scenarios in
# bench/peers/erlang and bench/peers/caf, then one Markdown table with the ratios.
#
#   bash bench/peers/run.sh [--quick]      # REPS=N (default 3; --quick: 1), BUILD=build
#
# The peers are optional (apt-get install erlang-nox libcaf-dev): a missing one is said and
# skipped. Each figure is the median of REPS runs, for every side alike. See bench/peers/README.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
QUICK=
[[ ${1:-} == --quick ]] && QUICK=quick
REPS=${REPS:-$([[ -n $QUICK ]] && echo 1 || echo 3)}
OUT=$(mktemp -d /tmp/actr-peers.XXXXXX)
# KEEP=1 keeps the raw outputs (the benches' tables, results.jsonl) for a look afterwards.
if [[ -n ${KEEP:-} ]]; then trap 'echo "raw outputs: $OUT" >&2' EXIT; else trap 'rm -rf "$OUT"' EXIT; fi
RESULTS=$OUT/results.jsonl
: >"$RESULTS"
say() { echo "$*" >&2; }

say "# bench/peers/run.sh: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, REPS=$REPS${QUICK:+, quick}"
say "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

# (b) Ours: their JSON lines go to the results, their tables to $OUT (KEEP=1 to look at them).
runtime=$BUILD/bench/bench_runtime_bench
cluster=$BUILD/bench/bench_cluster_bench
if [[ -x $runtime && -x $cluster ]]; then
  q=()
  [[ -n $QUICK ]] && q=(--quick)
  # The code cache first, as erlc and g++ compile the peers: a node whose code is not in it
  # starts its instances on the interpreter (tiered engine), which changes the memory figure.
  if [[ -x $BUILD/actr ]]; then
    "$BUILD/actr" compile "$BUILD/guests/echo.wasm" "$BUILD/guests/runtime_probe.wasm" >/dev/null 2>&1 ||
      say "actr: compile into the code cache failed"
  fi
  ours() {  # NAME ARGS...: one bench run; its JSON lines go to the results
    local name=$1
    shift
    say "actr: $name $*"
    if ! "$@" --json --reps "$REPS" "${q[@]}" >"$OUT/$name.txt" 2>&1; then
      say "actr: $name failed:"
      tail -20 "$OUT/$name.txt" >&2
    fi
    grep '^{' "$OUT/$name.txt" >>"$RESULTS" || true
  }
  ours latency "$runtime" --only latency
  ours throughput "$runtime" --only throughput --case "memory: 8 callers -> 4 callees"
  ours memory "$runtime" --only memory
  ours cluster-latency "$cluster" --only latency --case "across nodes, workers = 1 per node"
  ours cluster-throughput "$cluster" --only throughput \
    --case "across nodes: 8 callers -> 4 callees, workers = 1 per node"
else
  say "actr: $runtime or $cluster missing: cmake --build $BUILD --target bench_runtime_bench bench_cluster_bench"
fi

# (c) Erlang: one VM per group, as the scheduler count is a VM flag.
if command -v erlc >/dev/null && command -v erl >/dev/null; then
  mkdir -p "$OUT/erl"
  erlc -o "$OUT/erl" bench/peers/erlang/actr_peer_bench.erl
  epmd_was_up=$(pgrep -x epmd >/dev/null && echo yes || echo no)
  erlang() {  # GROUP VM-FLAGS...
    local group=$1
    shift
    say "erlang: $group $*"
    erl "$@" -noshell -pa "$OUT/erl" -run actr_peer_bench main "$group" $QUICK >>"$RESULTS" ||
      say "erlang: $group failed"
  }
  for ((i = 0; i < REPS; i++)); do
    erlang same +S 1
    erlang cross +S 2
    erlang memory +S 2
    erlang dist -sname actrpeera -setcookie "actrpeers$$"  # the default schedulers (2)
  done
  # `erl -sname` started epmd (the name server) if it was not running; stop it again.
  [[ $epmd_was_up == no ]] && { epmd -kill >/dev/null 2>&1 || true; }
else
  say "Erlang: not installed (apt-get install erlang-nox): skipped"
fi

# (c) CAF: built here against Debian's libcaf-dev (0.17: no CMake package config is shipped).
if [[ -f /usr/include/caf/all.hpp && -f /usr/include/caf/io/all.hpp ]]; then
  say "caf: building bench/peers/caf/caf_peer_bench.cpp"
  if g++ -std=c++17 -O2 -o "$OUT/caf_peer_bench" bench/peers/caf/caf_peer_bench.cpp \
    -lcaf_io -lcaf_core -pthread; then
    for ((i = 0; i < REPS; i++)); do
      for group in same cross throughput memory dist dist-nosleep; do
        say "caf: $group"
        "$OUT/caf_peer_bench" $group $QUICK >>"$RESULTS" || say "caf: $group failed"
      done
    done
  else
    say "caf: build failed: skipped"
  fi
else
  say "CAF: not installed (apt-get install libcaf-dev): skipped"
fi

# (d) V8: the same core module of examples/echo behind a minimal JS host (bench/peers/v8), beside
# our generated host bindings on the aot engine (bench_workload_bench).
workload=$BUILD/bench/bench_workload_bench
if [[ -x $workload && -f $BUILD/guests/echo.wasm ]] && command -v node >/dev/null; then
  for ((i = 0; i < REPS; i++)); do
    say "actr: dispatch through the generated bindings"
    "$workload" --benchmark_filter='BM_WorkloadDispatch64/aot$' --benchmark_format=json \
      2>/dev/null | node -e '
        let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
          const b = JSON.parse(s).benchmarks[0];
          console.log(JSON.stringify({ peer: "actr", scenario: "dispatch64", value: b.real_time, unit: "ns" }));
        });' >>"$RESULTS" || say "actr: bench_workload_bench failed"
    say "v8: dispatch"
    node bench/peers/v8/dispatch.mjs "$BUILD/guests/echo.wasm" >>"$RESULTS" || say "v8: failed"
  done
else
  say "V8 anchor: needs $workload, $BUILD/guests/echo.wasm and node: skipped"
fi

say "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"

# (d) The table: each row names the actr figure (scenario/figure of our --json lines) and the
# peers' scenarios; "-" where a side has no such figure. Every value is the median of its runs.
rt1="memory lane, workers = 1 (alpha and beta on one thread)"
rt2="memory lane, workers = 2 (alpha and beta on different threads)"
tp="memory: 8 callers -> 4 callees, workers = "
cl="across nodes, workers = 1 per node"
awk -F';' -v results="$RESULTS" '
  function num(line, key,   m) {  # the number after "key": in a JSON line
    if (!match(line, "\"" key "\":-?[0-9.]+")) return ""
    m = substr(line, RSTART, RLENGTH); sub(/^[^:]*:/, "", m); return m
  }
  function str(line, key,   m) {
    if (!match(line, "\"" key "\":\"[^\"]*\"")) return ""
    m = substr(line, RSTART, RLENGTH); sub(/^[^:]*:"/, "", m); sub(/"$/, "", m); return m
  }
  function median(key,   n, v, i, j, t) {
    if (!(key in count)) return ""
    n = count[key]
    for (i = 1; i <= n; i++) v[i] = vals[key, i]
    for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j-1] > v[j]; j--) { t = v[j]; v[j] = v[j-1]; v[j-1] = t }
    return v[int((n + 1) / 2)]
  }
  function fmt(v, unit,   s) {
    if (v == "") return "-"
    v += 0
    if (unit == "bytes" || v >= 1000) {  # whole numbers, thousands separated
      s = sprintf("%.0f", v)
      while (s ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]($|,)/, ",&", s)
      return s
    }
    return v >= 10 ? sprintf("%.1f", v) : sprintf("%.2f", v)
  }
  function ratio(a, b) { return (a == "" || b == "" || b == 0) ? "-" : sprintf("%.2fx", a / b) }
  BEGIN {
    while ((getline line < results) > 0) {
      key = str(line, "peer") ";" str(line, "scenario")
      if (str(line, "figure") != "") key = key "/" str(line, "figure")
      vals[key, ++count[key]] = num(line, "value") + 0
    }
    print "| scenario | actr | Erlang | CAF | actr ÷ Erlang | actr ÷ CAF |"
    print "|---|---|---|---|---|---|"
  }
  /^#/ || NF < 5 { next }
  {
    a = $2 == "-" ? "" : median("actr;" $2)
    e = $3 == "-" ? "" : median("erlang;" $3)
    c = $4 == "-" ? "" : median("caf;" $4)
    printf "| %s, %s | %s | %s | %s | %s | %s |\n", $1, $5, fmt(a, $5), fmt(e, $5), fmt(c, $5), ratio(a, e), ratio(a, c)
  }
' <<EOF
# title;actr scenario/figure;erlang scenario;caf scenario;unit
call, same worker: per call in batches of 100, p50;$rt1/batch_p50;call_same_p50;call_same_p50;us
call, same worker: per call in batches of 100, p99;$rt1/batch_p99;call_same_p99;call_same_p99;us
call, same worker: lone call after a 1 ms pause, p50;$rt1/paused_one_minus_ext;call_same_lone_p50;call_same_lone_p50;us
call, across workers: per call in batches of 100, p50;$rt2/batch_p50;call_cross_p50;call_cross_p50;us
call, across workers: per call in batches of 100, p99;$rt2/batch_p99;call_cross_p99;call_cross_p99;us
call, across workers: lone call after a 1 ms pause, p50;$rt2/paused_one_minus_ext;call_cross_lone_p50;call_cross_lone_p50;us
call, across workers, CAF tuned (no idle sleep): batches p50;$rt2/batch_p50;-;call_cross_nosleep_p50;us
call, across workers, CAF tuned (no idle sleep): lone p50;$rt2/paused_one_minus_ext;-;call_cross_nosleep_lone_p50;us
8 callers -> 4 callees, 2 workers (actr: half the calls cross workers);${tp}2, half the calls cross workers/rate;throughput_8x4_2workers;throughput_8x4_2workers;calls/s
8 callers -> 4 callees, 2 workers (actr: callee on the caller's worker);${tp}2, callee on the caller's worker/rate;throughput_8x4_2workers;throughput_8x4_2workers;calls/s
8 callers -> 4 callees, 1 worker;${tp}1/rate;throughput_8x4_1worker;throughput_8x4_1worker;calls/s
idle memory per actor, RSS delta / N;echo x 1000 (memory mailbox, 2 workers)/per;idle_memory_rss;idle_memory_rss;bytes
idle memory per actor, actr private bytes (smaps_rollup) delta / N vs RSS;echo x 1000 (memory mailbox, 2 workers)/private_per;idle_memory_rss;idle_memory_rss;bytes
idle memory per actor, actr private bytes per instance (1000 instances vs 1, without the node's one-time costs) vs RSS;echo x 1000 (memory mailbox, 2 workers)/private_marginal;idle_memory_rss;idle_memory_rss;bytes
idle memory per actor, erlang:memory(total) delta / N;-;idle_memory_vm;-;bytes
idle memory per actor, process_info(P, memory);-;idle_memory_process_info;-;bytes
two nodes on loopback: lone call after a 1 ms pause, p50;$cl/paused_one_minus_ext;dist_call_lone_p50;dist_call_lone_p50;us
two nodes on loopback: per call in batches, p50;$cl/batch_p50;dist_call_p50;dist_call_p50;us
two nodes on loopback: 1 caller;$cl/rate;dist_throughput_1caller;dist_throughput_1caller;calls/s
two nodes on loopback: 8 callers -> 4 callees;across nodes: 8 callers -> 4 callees, workers = 1 per node/rate;dist_throughput_8x4;dist_throughput_8x4;calls/s
two nodes, CAF tuned (no idle sleep): lone p50;$cl/paused_one_minus_ext;-;dist_nosleep_call_lone_p50;us
two nodes, CAF tuned (no idle sleep): batches p50;$cl/batch_p50;-;dist_nosleep_call_p50;us
two nodes, CAF tuned (no idle sleep): 1 caller;$cl/rate;-;dist_nosleep_throughput_1caller;calls/s
two nodes, CAF tuned (no idle sleep): 8 callers -> 4 callees;across nodes: 8 callers -> 4 callees, workers = 1 per node/rate;-;dist_nosleep_throughput_8x4;calls/s
EOF
awk -v results="$RESULTS" '
  BEGIN {
    while ((getline line < results) > 0) {
      if (line !~ /"scenario":"dispatch64"/) continue
      side = line ~ /"peer":"v8"/ ? "v8" : "actr"
      match(line, /"value":[0-9.]+/); v = substr(line, RSTART + 8, RLENGTH - 8) + 0
      vals[side, ++n[side]] = v
    }
    for (side in n) {  # medians
      for (i = 2; i <= n[side]; i++) for (j = i; j > 1 && vals[side, j-1] > vals[side, j]; j--) {
        t = vals[side, j]; vals[side, j] = vals[side, j-1]; vals[side, j-1] = t
      }
      med[side] = vals[side, int((n[side] + 1) / 2)]
    }
    if (!("actr" in med) || !("v8" in med)) exit
    print ""
    print "| dispatch of 64 B into examples/echo, per call | actr (aot, generated bindings) | V8 (Node, minimal JS host) | actr ÷ V8 |"
    print "|---|---|---|---|"
    printf "| ns | %.0f | %.0f | %.2fx |\n", med["actr"], med["v8"], med["actr"] / med["v8"]
  }'
echo
echo "us, ns and bytes: a ratio below 1 is actr ahead; calls/s: a ratio above 1 is actr ahead."
