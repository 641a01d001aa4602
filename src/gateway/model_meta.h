#pragma once
// What the gateway knows of the model it serves, learnt from a node with
// GET_MODEL_META (DESIGN.md §8): identity, shape, tokenizer and chat format.
// The node sends its shard's metadata as a tensor-less GGUF, so the gateway
// loads the tokenizer with the same code a node or `generate` uses.

#include <cstdint>
#include <memory>
#include <string>

#include "dht/record.h"
#include "gguf/reader.h"
#include "model/chat_template.h"
#include "model/tokenizer.h"
#include "swarm/swarm_client.h"
#include "util/status.h"

namespace ss::gateway {

struct ModelMeta {
  std::string model_id;
  std::string name;  // general.name, or the model id's first characters
  int n_ctx = 0, n_vocab = 0, n_layer = 0, n_embd = 0;
  model::ChatFormat chat_format = model::ChatFormat::kPlain;
  std::string gguf_bytes;            // owns what `file` points into
  std::unique_ptr<gguf::File> file;  // metadata only
  std::unique_ptr<model::Tokenizer> tokenizer;
};

// Asks `node` (over the swarm client's link to it) and checks the answer.
Result<std::shared_ptr<const ModelMeta>> FetchModelMeta(swarm::SwarmClient& swarm,
                                                        const dht::NodeRecord& node);

}  // namespace ss::gateway
