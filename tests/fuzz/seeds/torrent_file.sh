#!/usr/bin/env bash
# Seed corpus for .torrent files: the torrents `shard publish` writes for a
# small shard, in each format (v1, v2, hybrid).
set -euo pipefail
out=$1
bin=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin" dev make-model --out "$work/m.gguf" --type f32 --n-vocab 360 --n-embd 8 --n-layer 2 --n-head 1 \
  --n-head-kv 1 --n-ff 8 --seed 1 >/dev/null
"$bin" shard split "$work/m.gguf" -n 2 -o "$work/shards" >/dev/null
for format in v1 v2 hybrid; do
  "$bin" shard publish "$work/shards" --torrent-format "$format" >/dev/null
  cp "$work/shards/shard-0.gguf.torrent" "$out/shard-0-$format.torrent"
done
