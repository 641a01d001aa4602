#!/usr/bin/env bash
# Seed corpus for the OpenAI request body parser: completions and chat bodies.
set -euo pipefail
out=$1
printf '{"model":"m","prompt":"Once upon a time","max_tokens":16,"temperature":0.7,"top_p":0.9,"stop":["\\n"],"seed":3}' >"$out/completion"
printf '{"prompt":[1,15043,3186],"stream":true,"stream_options":{"include_usage":true}}' >"$out/tokens"
printf '{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":[{"type":"text","text":"Hi"}]}],"max_completion_tokens":8}' >"$out/chat"
printf '{"prompt":"x","n":2,"logprobs":3,"response_format":{"type":"json_object"}}' >"$out/unsupported"
