#!/usr/bin/env bash
# Seed corpus for .torrent files: the torrents `shard publish` writes for a
# small shard, in each format (v1, v2, hybrid).
set -euo pipefail
out=$1
bin=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
. "$(dirname "$0")/tiny_split.sh"
split_tiny_model "$bin" "$work"
for format in v1 v2 hybrid; do
  "$bin" shard publish "$work/shards" --torrent-format "$format" >/dev/null
  cp "$work/shards/shard-0.gguf.torrent" "$out/shard-0-$format.torrent"
done
