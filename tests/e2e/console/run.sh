#!/usr/bin/env bash
# Runs the web console e2e test against a shardswarm binary:
#   tests/e2e/console/run.sh /path/to/shardswarm [artifacts dir]
# Installs the pinned playwright-core from package-lock.json (npm ci), then
# runs the test with Node's built-in runner; it drives Debian's chromium
# headless. Screenshots go to the artifacts dir (default: ./e2e-artifacts/console).
# Missing Node.js, npm or chromium is a failure.
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 /path/to/shardswarm [artifacts dir]" >&2
  exit 2
fi
binary="$(realpath "$1")"
artifacts="$(realpath -m "${2:-e2e-artifacts/console}")"
chromium="${SHARDSWARM_CHROMIUM:-/usr/bin/chromium}"
cd "$(dirname "$0")"

for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "[e2e] FAIL: '$tool' is not installed; run scripts/install-deps.sh (it installs nodejs and npm)" >&2
    exit 1
  fi
done
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 18 ]; then
  echo "[e2e] FAIL: Node.js $(node --version) is too old; playwright-core needs 18 or later" >&2
  exit 1
fi
if [ ! -x "$chromium" ]; then
  echo "[e2e] FAIL: no chromium at $chromium; run scripts/install-deps.sh (it installs Debian's chromium)" >&2
  exit 1
fi

echo "[e2e] node $(node --version), npm $(npm --version), $("$chromium" --version 2>/dev/null | head -1)"
npm ci --no-audit --no-fund
mkdir -p "$artifacts"
SHARDSWARM_BINARY="$binary" SHARDSWARM_CHROMIUM="$chromium" SHARDSWARM_E2E_ARTIFACTS="$artifacts" \
  node --test console.test.mjs
