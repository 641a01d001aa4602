#!/usr/bin/env bash
# Seed corpus for the tokenizers: llama.cpp's tokenizer test strings, the
# reference prompts, and a few special-token and invalid-UTF-8 cases, each
# behind the eight mode bytes of tokenizer_fuzz.cpp (vocabulary, add_special,
# parse_special).
set -euo pipefail
out=$1
root=$(cd "$(dirname "$0")/../../.." && pwd)
data=${SHARDSWARM_TESTDATA:-$root/../shared/testdata}
for inp in "$data"/tokenizer/*.inp; do
  # Strings are separated by the line __ggml_vocab_test__.
  awk -v prefix="$out/$(basename "$inp" .gguf.inp)-" '
    function emit() { f = prefix n++; printf "%s", text > f; close(f) }
    BEGIN { n = 0; first = 1 }
    $0 == "__ggml_vocab_test__" { emit(); text = ""; first = 1; next }
    { text = first ? $0 : text "\n" $0; first = 0 }
    END { if (!first) emit() }' "$inp"
done
for p in "$data"/reference/prompts/*.txt; do cp "$p" "$out/$(basename "$p" .txt)"; done
printf '<s>Hello</s> <|begin_of_text|><|start_header_id|>user<|end_header_id|>' >"$out/special"
printf 'caf\303\251 \360\237\232\200 ab\377\376 x\355\240\200' >"$out/invalid"
for f in "$out"/*; do
  for mode in 0 1 2 3 4 5 6 7; do
    { printf "\\$mode"; cat "$f"; } >"$f.m$mode"
  done
  rm "$f"
done
