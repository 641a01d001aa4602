#!/usr/bin/env bash
# Seed corpus for RPC text messages: every command a node answers, with and
# without arguments, and a FORWARD_RESULT with stage timings.
set -euo pipefail
out=$1
i=0
for m in '{"type":"GET_CAPABILITIES","id":7}' '{"type":"GET_STATUS","id":"abc"}' '{"type":"GET_METRICS"}' \
  '{"type":"LIST_FILES","id":1}' '{"type":"GET_MODEL_META","id":2}' '{"type":"LOAD_SHARD","id":3,"shard_id":2}' \
  '{"type":"SESSION_CLOSE","id":4,"session":18446744073709551615}' '{"type":"SESSION_CLOSE","session":-1}' \
  '{"type":"FORWARD_RESULT","session":3,"step":7,"status":"ok","token":42,"timings":[[0.5,1.25],[0,3]]}' \
  '{"type":"FORWARD_RESULT","session":3,"step":7,"status":"error","error":"stage 1: x"}'; do
  printf '%s' "$m" >"$out/message-$i"
  i=$((i + 1))
done
