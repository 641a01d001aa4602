#!/usr/bin/env bash
# Seed corpus for the GGUF reader: small generated models of every type.
set -euo pipefail
out=$1
bin=$2
i=0
for type in f32 f16 q8_0 q4_0; do
  for tied in "" --tied; do
    "$bin" dev make-model --out "$out/model-$i.gguf" --type "$type" $tied --n-vocab 360 --n-embd 32 \
      --n-layer 2 --n-head 2 --n-head-kv 1 --n-ff 64 --seed "$i" >/dev/null
    i=$((i + 1))
  done
done
