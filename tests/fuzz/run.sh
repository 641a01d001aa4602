#!/usr/bin/env bash
# Builds fuzz target NAME with clang (ASan + UBSan + libFuzzer) in build-fuzz/
# and runs it for SECONDS on a seed corpus. Exits non-zero on any finding.
# usage: run.sh NAME SECONDS [SHARDSWARM_BINARY]
set -euo pipefail
name=$1
seconds=$2
bin=${3:-}
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${SHARDSWARM_FUZZ_BUILD:-$root/build-fuzz}

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ -DSHARDSWARM_FUZZ=ON >/dev/null
ninja -C "$build" "fuzz_$name" >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus"
seeds="$root/tests/fuzz/seeds/$name.sh"
if [ -x "$seeds" ]; then
  "$seeds" "$work/corpus" "$bin"
fi
cd "$work"
"$build/tests/fuzz/fuzz_$name" -max_total_time="$seconds" -max_len=65536 -timeout=10 \
  -rss_limit_mb=2048 -print_final_stats=1 corpus 2>&1 | tail -n 25
echo "fuzz_$name: no crash, hang or sanitizer report in ${seconds}s"
