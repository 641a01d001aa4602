#!/usr/bin/env bash
# Seed corpus for manifests: what `shard split` writes for a 3-way split, and
# the same with info-hashes as a seeder publishes it.
set -euo pipefail
out=$1
printf '{"format":"shardswarm-manifest/1","model_id":"5d1c","model_name":"tiny","architecture":"llama","source_file":"m.gguf","source_size":123456,"layer_count":8,"shard_count":3,"shards":[{"id":0,"file":"shard-0.gguf","layer_start":0,"layer_end":3,"size":1000,"sha256":"aa"},{"id":1,"file":"shard-1.gguf","layer_start":3,"layer_end":6,"size":1000,"sha256":"bb"},{"id":2,"file":"shard-2.gguf","layer_start":6,"layer_end":8,"size":900,"sha256":"cc"}]}' >"$out/split"
printf '{"format":"shardswarm-manifest/1","model_id":"m","layer_count":2,"shard_count":1,"shards":[{"id":0,"file":"shard-0.gguf","layer_start":0,"layer_end":2,"size":10,"sha256":"aa","info_hash_v1":"0123456789012345678901234567890123456789","info_hash_v2":"0123456789012345678901234567890123456789012345678901234567890123"}]}' >"$out/published"
