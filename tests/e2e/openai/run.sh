#!/usr/bin/env bash
# Runs the OpenAI-client e2e test against a shardswarm binary:
#   tests/e2e/openai/run.sh /path/to/shardswarm
# Installs the pinned client library from package-lock.json (npm ci), then runs
# the test with Node's built-in runner. Missing Node.js or npm is a failure.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 /path/to/shardswarm" >&2
  exit 2
fi
binary="$(realpath "$1")"
cd "$(dirname "$0")"

for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "[e2e] FAIL: '$tool' is not installed; run scripts/install-deps.sh (it installs nodejs and npm)" >&2
    exit 1
  fi
done

echo "[e2e] node $(node --version), npm $(npm --version)"
npm ci --no-audit --no-fund
SHARDSWARM_BINARY="$binary" node --test openai_client.test.mjs
