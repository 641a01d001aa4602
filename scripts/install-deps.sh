#!/usr/bin/env bash
# Installs every Debian package shardswarm needs to build, test and run.
# Idempotent: when everything is present it only checks and returns.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git
  clang-14 libclang-rt-14-dev clang-format
  libcli11-dev nlohmann-json3-dev libssl-dev libpcre2-dev
  libgtest-dev libbenchmark-dev
  libboost-dev libboost-system-dev
  libopendht-dev dhtnode libmsgpack-dev libjsoncpp-dev libgnutls28-dev
  libtorrent-rasterbar-dev aria2 transmission-cli
  iproute2 util-linux curl
  chromium
)
# chromium (above) is the browser the console e2e test drives headless.
# Node.js and npm run the e2e tests (the official OpenAI client library,
# playwright-core).
# A Node.js already on PATH (one that bundles npm and so conflicts with
# Debian's npm package) counts as present.
NODE_PACKAGES=(nodejs npm)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ! { command -v node && command -v npm; } >/dev/null 2>&1; then
  for p in "${NODE_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "[install] installing: ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
