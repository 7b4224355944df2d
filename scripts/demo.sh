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

echo "== a node: echo x2, counter, greeter (examples/node/actr.toml) =="
$actr run examples/node/actr.toml --gateway "$port" --log-level warn > build/demo-node.log 2>&1 &
pid=$!
trap 'kill -INT $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  curl -sf "$node/healthz" > /dev/null 2>&1 && break
  kill -0 $pid 2>/dev/null || { cat build/demo-node.log; exit 1; }
  sleep 0.1
done
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
$actr signal --listen "127.0.0.1:$sigport" --data-dir build/demo-cluster/signal --log-level warn \
  > build/demo-signal.log 2>&1 &
signal_pid=$!
$actr run examples/cluster/echo-node.toml --signaling "$signaling" --log-level warn \
  > build/demo-echo-node.log 2>&1 &
echo_pid=$!
$actr run examples/cluster/greeter-node.toml --signaling "$signaling" --gateway "$greeter_gw" \
  --log-level warn > build/demo-greeter-node.log 2>&1 &
greeter_pid=$!
trap 'kill -INT $greeter_pid $echo_pid $signal_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$greeter_gw/healthz" > /dev/null 2>&1 && break
  kill -0 $greeter_pid 2>/dev/null || { cat build/demo-greeter-node.log; exit 1; }
  sleep 0.1
done
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
