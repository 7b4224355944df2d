#!/usr/bin/env bash
# The web node's figures (docs/BENCHMARKS.md "Web node"): a network namespace with one interface
# (Chromium gathers no loopback candidates), a signaling server and a native node in it, and
# bench/browser/web_node_bench.mjs driving Chromium there. Needs root (ip netns), the build
# (build/actr, build/guests) and the pinned npm tools.
#
#   sudo bash bench/web_node.sh [--reps N]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
ACTR=$PWD/$BUILD/actr
NS=actr-webbench-$$
HOST=10.75.$(( $$ % 250 + 1 )).1
DIR=$(mktemp -d /tmp/actr-webbench.XXXXXX)
cleanup() {
  [[ -n ${NODE_PID:-} ]] && kill "$NODE_PID" 2>/dev/null || true
  [[ -n ${SIGNAL_PID:-} ]] && kill "$SIGNAL_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  ip netns del "$NS" 2>/dev/null || true
  if [[ -n ${KEEP:-} ]]; then echo "kept: $DIR" >&2; else rm -rf "$DIR"; fi
}
trap cleanup EXIT
ip netns add "$NS"
ip -n "$NS" link set lo up
ip -n "$NS" link add actr0 type veth peer name actr0p
ip -n "$NS" addr add "$HOST/24" dev actr0
ip -n "$NS" link set actr0 up
ip -n "$NS" link set actr0p up
ip -n "$NS" route add default via "${HOST%.1}.2" dev actr0
in_ns() { ip netns exec "$NS" "$@"; }

for g in runtime_probe echo; do
  node web/tools/transpile.mjs "$BUILD/guests/$g.wasm" "$DIR/web" >/dev/null
done
echo "web-bench-token-0123" >"$DIR/enroll-token"
cat >"$DIR/node.toml" <<TOML
data_dir = "$DIR/node-data"
workers = 1
[gateway]
address = "$HOST"
port = 7470
[network]
signaling = "ws://$HOST:7450"
listen = "$HOST:7460"
node_id = "bench"
enroll_token_file = "$DIR/enroll-token"
transports = ["websocket", "webrtc"]
ice_addresses = ["$HOST"]
[[actors]]
name = "beta"
component = "$PWD/$BUILD/guests/runtime_probe.wasm"
type = "test/beta@0.1.0"
mailbox = "memory"
[[actors]]
name = "native-echo"
component = "$PWD/$BUILD/guests/echo.wasm"
type = "acme/native-echo@0.1.0"
mailbox = "memory"
TOML
"$ACTR" compile "$BUILD/guests/runtime_probe.wasm" "$BUILD/guests/echo.wasm" >/dev/null
in_ns "$ACTR" signal --listen "$HOST:7450" --data-dir "$DIR/signal" \
  --enroll-token-file "$DIR/enroll-token" --log-level warn >"$DIR/signal.log" 2>&1 &
SIGNAL_PID=$!
in_ns "$ACTR" run "$DIR/node.toml" --log-level warn >"$DIR/node.log" 2>&1 &
NODE_PID=$!
# Ready when the node answers (no fixed sleep).
for _ in $(seq 1 300); do
  [[ $(in_ns "$ACTR" call --node "http://$HOST:7470" beta echo ready 2>/dev/null) == ready ]] && break
  sleep 0.2
done
echo "# bench/web_node.sh: $(date -u '+%Y-%m-%d %H:%M UTC'), load $(cut -d' ' -f1-3 /proc/loadavg)"
in_ns node bench/browser/web_node_bench.mjs --signal "ws://$HOST:7450" \
  --token-file "$DIR/enroll-token" --components "$DIR/web" --actr "$ACTR" \
  --node-gateway "http://$HOST:7470" "$@"
