#!/usr/bin/env bash
# Seed corpus for the RPC frame parsers: a byte selecting the parser (even:
# control message, odd: activation frame) followed by a valid input.
set -euo pipefail
out=$1
printf '\x00{"type":"GET_CAPABILITIES","id":7}' >"$out/control-1"
printf '\x00{"type":"FORWARD","id":"abc","session":3,"route":[1,2]}' >"$out/control-2"
printf '\x00{"type":"GET_STATUS"}' >"$out/control-3"
# Token frame: 1 row (pos 0, token 42).
printf '\x01SSAF\x01\x00\x01\x00\x07\x00\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x2a\x00\x00\x00' >"$out/frame-tokens"
# Hidden-state frame: 1 row of width 2 (1.0, -2.0).
printf '\x01SSAF\x01\x00\x02\x00\x07\x00\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x02\x00\x00\x00\x05\x00\x00\x00\x2a\x00\x00\x00\x00\x00\x80\x3f\x00\x00\x00\xc0' >"$out/frame-hidden"
# FORWARD: u32 header length, JSON header, then the token frame of session 3, step 7.
header='{"type":"FORWARD","session":3,"step":7,"origin":"gw","stage":0,"route":[{"peer_id":"a","endpoint":"127.0.0.1:1"}],"sample":true,"sampling":{"temperature":0}}'
{
  printf '\x03'
  printf "$(printf '\\x%02x\\x%02x\\x00\\x00' $((${#header} & 255)) $((${#header} >> 8)))"
  printf '%s' "$header"
  printf '\x53\x53\x41\x46\x01\x00\x01\x00\x07\x00\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x2a\x00\x00\x00'
} >"$out/forward-tokens"
# Regression: a FORWARD header whose "type" is a number (nlohmann's value()
# threw on it and aborted the node).
printf '%s' 'A50AAAB7InR5cGUiOjEsIm9yb3JpZ2luIjoiZ3ciLCJzdGFnZSI6MCwicm91dGUiOlt7InBlZXJfaWQiOiJhIiwiZW5kcG5pbnQiOiIxMjcuMC4wLn5+fn5+fn5+fn5+fn5+fn5+fn5+fn5+fn5+MToxIn1dLCJzYW1wbGUiOnRydWUsInNhbXBsaW5nIjp7IjB0ZG1wZXJhdHlyZSI6MH19U1NBRgEAAQAHAAAAAAAAAAMAAAAAAAAAAQAAAAAAAAAAACoAAAA=' |
  base64 -d >"$out/forward-type-not-a-string"
