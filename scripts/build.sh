#!/usr/bin/env bash
# Installs the Debian packages (when missing), then configures and builds
# shardswarm in build/ with warnings as errors.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
cmake -S "$root" -B "$root/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSHARDSWARM_WERROR=ON >/dev/null
ninja -C "$root/build"
