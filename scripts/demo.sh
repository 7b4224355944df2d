#!/usr/bin/env bash
# The main demo: a node running the echo, counter and greeter examples (C++ workloads built by the
# normal build), called through its HTTP gateway with `actr call`; then two nodes and a signaling
# server, a greeter on one node calling echo on the other; then a component built from C,
# inspected and called through the canonical ABI on both engines.
set -euo pipefail
cd "$(dirname "$0")/.."
actr=build/actr
port=${ACTR_DEMO_PORT:-8080}
node="http://127.0.0.1:$port"
run() { echo "\$ $*"; "$@"; echo; }

# Waits until LOG has a line matching PATTERN (the process says it is ready), while PID lives. No
# fixed sleep: a first run compiles every component, which takes as long as the machine needs.
wait_for() {
  local pid=$1 log=$2 pattern=$3 what=$4 waited=0
  until grep -q "$pattern" "$log" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "error: $what exited before it was ready:" >&2
      cat "$log" >&2
      exit 1
    fi
    sleep 0.1
    waited=$((waited + 1))
    if ((waited % 100 == 0)); then echo "(waiting for $what: $((waited / 10)) s)"; fi
    if ((waited >= 6000)); then
      echo "error: $what not ready after 600 s:" >&2
      cat "$log" >&2
      exit 1
    fi
  done
}

echo "== a node: echo x2, counter, greeter (examples/node/actr.toml) =="
$actr run examples/node/actr.toml --gateway "$port" --log-level warn > build/demo-node.log 2>&1 &
pid=$!
trap 'kill -INT $pid 2>/dev/null || true' EXIT
wait_for $pid build/demo-node.log '^ready' "the node"
cat build/demo-node.log
run $actr call --node "$node" acme/echo echo 'hello, actors'
run $actr call --node "$node" acme/echo reverse 'stressed'
run $actr call --node "$node" acme/greeter greet 'world'
run $actr call --node "$node" counter add 40
run $actr call --node "$node" counter add 2
echo "\$ $actr call --node $node counter nope"
$actr call --node "$node" counter nope || echo "(exit $?: the actor's error, mapped by the gateway)"
echo
echo "\$ curl -s $node/metrics | grep actr_dispatches_total"
curl -s "$node/metrics" | grep '^actr_dispatches_total'
echo
kill -INT $pid
wait $pid
trap - EXIT
echo "node stopped"
echo

echo "== two nodes and a signaling server: greeter on one node calls echo on the other =="
sigport=${ACTR_DEMO_SIGNAL_PORT:-7450}
signaling="ws://127.0.0.1:$sigport"
greeter_gw=$((port + 1))
rm -rf build/demo-cluster
# The server is closed by default: it creates an enrollment token in its data directory, which
# the nodes' configurations name (enroll_token_file).
$actr signal --listen "127.0.0.1:$sigport" --data-dir build/demo-cluster/signal --log-level warn \
  > build/demo-signal.log 2>&1 &
signal_pid=$!
trap 'kill -INT $signal_pid 2>/dev/null || true' EXIT
wait_for $signal_pid build/demo-signal.log '^enrollment token' "the signaling server"
cat build/demo-signal.log
$actr run examples/cluster/echo-node.toml --signaling "$signaling" --log-level warn \
  > build/demo-echo-node.log 2>&1 &
echo_pid=$!
$actr run examples/cluster/greeter-node.toml --signaling "$signaling" --gateway "$greeter_gw" \
  --log-level warn > build/demo-greeter-node.log 2>&1 &
greeter_pid=$!
trap 'kill -INT $greeter_pid $echo_pid $signal_pid 2>/dev/null || true' EXIT
wait_for $echo_pid build/demo-echo-node.log '^ready' "the echo node"
wait_for $greeter_pid build/demo-greeter-node.log '^ready' "the greeter node"
echo "--- echo node (examples/cluster/echo-node.toml)"; cat build/demo-echo-node.log
echo "--- greeter node (examples/cluster/greeter-node.toml)"; cat build/demo-greeter-node.log
echo
run $actr call --node "http://127.0.0.1:$greeter_gw" acme/greeter greet 'from another node'
kill -INT $greeter_pid $echo_pid
wait $greeter_pid $echo_pid
kill -INT $signal_pid
wait $signal_pid || true
trap - EXIT
echo "nodes and signaling server stopped"
echo

echo "== a component built from C, on both engines =="
component=build/guests/adder.wasm
run $actr component wit $component
run $actr component invoke --engine aot $component 'docs:adder/add@0.1.0#add(1, 2)'
run $actr component invoke --engine interp $component 'docs:adder/add@0.1.0#greet("wörld")'
