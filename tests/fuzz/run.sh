#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan + libFuzzer) in
# build-fuzz/ (or $SHARDSWARM_FUZZ_BUILD) and runs one on a seed corpus.
# usage: run.sh --build                              build every target (one ninja call)
#        run.sh [--no-build] NAME SECONDS [SHARDSWARM_BINARY]
# A run builds its target first unless --no-build, prints libFuzzer's final
# lines and one summary line
#   fuzz_NAME: OK, 1234567 executions in 30 s (41152/s), coverage 812 edges, 2301 features, corpus 97
# and exits non-zero on any crash, leak, hang or sanitizer report (the input
# is kept in $build/fuzz-artifacts/). $SHARDSWARM_FUZZ_JOBS limits ninja's jobs. $FUZZ_CORPUS_DIR, when set, is the
# corpus to grow (kept across runs); otherwise a temporary one. $FUZZ_RUNS,
# when set, also ends the run after that many executions; $FUZZ_MAX_LEN is
# the longest input (default 65536); $FUZZ_TIMEOUT the seconds one input may
# take (default 10; wall-clock, so a fuzzer starved by other work on the
# machine, at nice 19 say, needs more).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${SHARDSWARM_FUZZ_BUILD:-$root/build-fuzz}

jobs=${SHARDSWARM_FUZZ_JOBS:+-j$SHARDSWARM_FUZZ_JOBS}

configure() {
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER=clang++ -DSHARDSWARM_FUZZ=ON >/dev/null
}

if [ "${1:-}" = --build ]; then
  configure
  if ! ninja -C "$build" $jobs fuzz_all >"$build/fuzz-build.log" 2>&1; then
    tail -n 60 "$build/fuzz-build.log"
    exit 1
  fi
  echo "fuzz targets built in $build"
  exit 0
fi
build_target=1
if [ "${1:-}" = --no-build ]; then
  build_target=0
  shift
fi
name=$1
seconds=$2
bin=${3:-}
if [ "$build_target" = 1 ]; then
  configure
  ninja -C "$build" $jobs "fuzz_$name" >/dev/null
fi
fuzzer="$build/tests/fuzz/fuzz_$name"
[ -x "$fuzzer" ] || { echo "$fuzzer is missing: run $0 --build" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
corpus=${FUZZ_CORPUS_DIR:-$work/corpus}
mkdir -p "$corpus" "$build/fuzz-artifacts"
seeds="$root/tests/fuzz/seeds/$name.sh"
if [ -x "$seeds" ]; then
  [ -n "$bin" ] || bin=$(command -v shardswarm || echo "$root/build/shardswarm")
  mkdir -p "$work/seeds"
  "$seeds" "$work/seeds" "$bin"
fi
cd "$work"
set +e
"$fuzzer" -max_total_time="$seconds" -max_len="${FUZZ_MAX_LEN:-65536}" ${FUZZ_RUNS:+-runs=$FUZZ_RUNS} -timeout="${FUZZ_TIMEOUT:-10}" -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$build/fuzz-artifacts/$name-" "$corpus" $([ -d seeds ] && echo seeds) >"$work/log" 2>&1
rc=$?
set -e
tail -n 25 "$work/log"
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -n 1)
done_line=$(grep -E '^#[0-9]+[[:space:]]+(DONE|INITED)' "$work/log" | tail -n 1 || true)
cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$done_line")
ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$done_line")
units=$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<<"$done_line")
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log" | tail -n 1)
if [ "$rc" != 0 ]; then
  echo "fuzz_$name: FAILED (exit $rc) after ${execs:-?} executions; see the report above and $build/fuzz-artifacts/"
  exit 1
fi
took=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$work/log" | tail -n 1)
echo "fuzz_$name: OK, ${execs:-?} executions in ${took:-$seconds} s (${rate:-?}/s), coverage ${cov:-?} edges," \
  "${ft:-?} features, corpus ${units:-?}"
