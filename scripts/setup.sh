#!/usr/bin/env bash
# Installs every dependency of actr on Debian 12 (apt packages and the pinned npm tools) and
# builds the release tree in build/. Idempotent: quick when everything is already present.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config git curl
  wabt
  clang-19 lld-19 llvm-19 wasi-libc libc++-19-dev-wasm32 libc++abi-19-dev-wasm32 libclang-rt-19-dev-wasm32
  binaryen
  libgtest-dev libgmock-dev libbenchmark-dev
  libboost-all-dev libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev
  libsqlite3-dev libsodium-dev libssl-dev libprotobuf-dev protobuf-compiler
  libnice-dev libusrsctp-dev coturn
  nats-server libnats-dev
  chromium iproute2 nftables
)

missing=()
# Node.js may come from elsewhere than Debian (Debian's npm conflicts with such an install).
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}"
fi

# Pinned JavaScript tools (jco), from package-lock.json.
if [ ! -x node_modules/.bin/jco ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing pinned npm tools"
  npm ci --no-audit --no-fund
fi

cmake --preset release >/dev/null
cmake --build --preset release

if [ "${1:-}" != "--no-demo" ]; then
  bash scripts/demo.sh
fi
