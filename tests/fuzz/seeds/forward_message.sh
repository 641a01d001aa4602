#!/usr/bin/env bash
# Seed corpus for FORWARD messages: u32 header length, JSON header, then the
# activation frame of the header's session and step.
set -euo pipefail
out=$1
forward() {  # forward FILE HEADER FRAME_BYTES(printf escapes)
  local header=$2
  {
    printf "$(printf '\\x%02x\\x%02x\\x00\\x00' $((${#header} & 255)) $((${#header} >> 8)))"
    printf '%s' "$header"
    printf "$3"
  } >"$out/$1"
}
# Stage 0: token rows of session 3, step 7 (1 row: pos 0, token 42).
forward tokens \
  '{"type":"FORWARD","session":3,"step":7,"origin":"gw","stage":0,"route":[{"peer_id":"a","endpoint":"127.0.0.1:1"}],"sample":true,"sampling":{"temperature":0}}' \
  'SSAF\x01\x00\x01\x00\x07\x00\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x2a\x00\x00\x00'
# Stage 1 of 2: hidden states (width 2), with the sampling fields and stage timings.
forward hidden \
  '{"type":"FORWARD","session":3,"step":7,"origin":"gw","stage":1,"route":[{"peer_id":"a","endpoint":"127.0.0.1:1"},{"peer_id":"b","endpoint":"[::1]:2"}],"sample":true,"sampling":{"temperature":0.8,"top_k":40,"top_p":0.9,"min_p":0.05,"repeat_penalty":1.1,"penalty_last_n":64,"frequency_penalty":0.1,"presence_penalty":0.2,"seed":7,"skip_draws":3},"timings":[[0.5,12.25]]}' \
  'SSAF\x01\x00\x02\x00\x07\x00\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x02\x00\x00\x00\x05\x00\x00\x00\x2a\x00\x00\x00\x00\x00\x80\x3f\x00\x00\x00\xc0'
# Regression: a FORWARD header whose "type" is a number (nlohmann's value()
# threw on it and aborted the node).
printf '%s' 'A50AAAB7InR5cGUiOjEsIm9yb3JpZ2luIjoiZ3ciLCJzdGFnZSI6MCwicm91dGUiOlt7InBlZXJfaWQiOiJhIiwiZW5kcG5pbnQiOiIxMjcuMC4wLn5+fn5+fn5+fn5+fn5+fn5+fn5+fn5+fn5+MToxIn1dLCJzYW1wbGUiOnRydWUsInNhbXBsaW5nIjp7IjB0ZG1wZXJhdHlyZSI6MH19U1NBRgEAAQAHAAAAAAAAAAMAAAAAAAAAAQAAAAAAAAAAACoAAAA=' |
  base64 -d | tail -c +2 >"$out/type-not-a-string"
