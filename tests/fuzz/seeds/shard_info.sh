#!/usr/bin/env bash
# Seed corpus for `shard info`: a small whole model and the two shards of its
# split (all shard keys present), each well under the fuzzer's -max_len.
set -euo pipefail
out=$1
bin=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin" dev make-model --out "$work/m.gguf" --type f32 --n-vocab 360 --n-embd 8 --n-layer 2 --n-head 1 \
  --n-head-kv 1 --n-ff 8 --seed 1 >/dev/null
cp "$work/m.gguf" "$out/whole.gguf"
"$bin" shard split "$work/m.gguf" -n 2 -o "$work/shards" >/dev/null
cp "$work/shards/shard-0.gguf" "$work/shards/shard-1.gguf" "$out/"
