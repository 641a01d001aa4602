# Sourced by seed scripts: split_tiny_model BIN DIR makes DIR/m.gguf, a tiny
# f32 model well under the fuzzers' -max_len, and its 2-way split in
# DIR/shards.
split_tiny_model() {
  "$1" dev make-model --out "$2/m.gguf" --type f32 --n-vocab 360 --n-embd 8 --n-layer 2 --n-head 1 \
    --n-head-kv 1 --n-ff 8 --seed 1 >/dev/null
  "$1" shard split "$2/m.gguf" -n 2 -o "$2/shards" >/dev/null
}
