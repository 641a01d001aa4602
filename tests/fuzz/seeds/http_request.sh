#!/usr/bin/env bash
# Seed corpus for the HTTP request parser: a GET, a POST with a JSON body, a
# chunked POST and a pipelined pair (the parser takes the first request).
set -euo pipefail
out=$1
printf 'GET /v1/models?limit=2 HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n' >"$out/get"
printf 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 63\r\n\r\n{"model":"m","messages":[{"role":"user","content":"hi"}],"n":1}' >"$out/post-json"
printf 'POST /v1/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n7\r\n{"a":1,\r\n6;ext=1\r\n"b":2}\r\n0\r\nTrailer: t\r\n\r\n' >"$out/post-chunked"
printf 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nPOST /v1/embeddings HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}' >"$out/pipelined"
printf 'GET / HTTP/1.0\r\nExpect: 100-continue\r\nX-A: 1\r\nx-a: 2\r\n\r\n' >"$out/http10"
