#pragma once
// GET_MODEL_META (DESIGN.md §8): what a gateway needs to serve the model
// without holding a shard — its shape, this shard's range, the chat template,
// and the tokenizer as a tensor-less GGUF holding every metadata key of the
// shard file except shardswarm.shard.* (the gateway parses it with
// gguf::File::Parse and loads model::Tokenizer from it).

#include <nlohmann/json.hpp>
#include <string>

#include "engine/stage.h"
#include "util/status.h"

namespace ss::node {

// Writes the metadata GGUF of `file` to `path` (through a temporary name)
// and returns its bytes as read back.
Result<std::string> WriteMetadataGguf(const gguf::File& file, const std::string& path);

struct ModelMetaInput {
  const engine::Stage* stage = nullptr;
  std::string model_id;
  std::string model_name;  // --model-name, or else the file's general.name
  int shard_id = 0;
  int total_shards = 0;
  std::string metadata_gguf;  // bytes from WriteMetadataGguf
};

// The reply's fields: model_id, model_name, architecture, n_layer, n_ctx,
// n_vocab, n_embd, shard_id, total_shards, layer_start, layer_end,
// chat_template (when the file has one), metadata_gguf (base64).
nlohmann::json ModelMetaJson(const ModelMetaInput& in);

}  // namespace ss::node
