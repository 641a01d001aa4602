#!/usr/bin/env bash
# Seed corpus for `shard info`: a small whole model and the two shards of its
# split (all shard keys present), each well under the fuzzer's -max_len.
set -euo pipefail
out=$1
bin=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
. "$(dirname "$0")/tiny_split.sh"
split_tiny_model "$bin" "$work"
cp "$work/m.gguf" "$out/whole.gguf"
cp "$work/shards/shard-0.gguf" "$work/shards/shard-1.gguf" "$out/"
