#!/usr/bin/env bash
# Seed corpus for DHT values: a node record (with a download), a file record,
# a client record and a model manifest with info-hashes.
set -euo pipefail
out=$1
printf '{"peer_id":"ab","cluster":"c","shard_id":1,"total_shards":4,"layer_start":2,"layer_end":4,"total_layers":8,"model_id":"m","rpc_endpoint":"127.0.0.1:7001","torrent_endpoint":"127.0.0.1:6881","tls_fingerprint":"f","capabilities":{"shard_loaded":false,"shard_problem":"p"},"refresh_s":5,"time_ms":1,"download":{"state":"downloading","percent":45.5,"rate":1000,"peers":3,"eta_s":7,"error":""}}' >"$out/node"
printf '{"peer_id":"ab","cluster":"c","info_hash":"00ff","file":"shard-1.gguf","shard_id":1,"torrent_endpoint":"127.0.0.1:6881","complete":true,"time_ms":2}' >"$out/file"
printf '{"peer_id":"ab","cluster":"c","role":"gateway","tls_fingerprint":"f","time_ms":3}' >"$out/client"
printf '{"format":"shardswarm-manifest/1","model_id":"m","model_name":"n","layer_count":8,"shard_count":1,"shards":[{"id":0,"file":"shard-0.gguf","layer_start":0,"layer_end":8,"size":10,"sha256":"aa","info_hash_v1":"01","info_hash_v2":"02"}]}' >"$out/manifest"
# A fuzz finding: a float beyond int's range in an integer field.
printf '{"peer_id":"ab","cluster":"c","shard_id":4.88889e+40,"total_shards":4,"rpc_endpoint":"e","tls_fingerprint":"f","capabilities":{"shard_loaded":true}}' >"$out/huge-float"
