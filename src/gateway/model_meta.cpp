#include "gateway/model_meta.h"

#include "engine/config.h"
#include "net/message.h"
#include "util/base64.h"
#include "util/hex.h"

namespace ss::gateway {

Result<std::shared_ptr<const ModelMeta>> FetchModelMeta(swarm::SwarmClient& swarm,
                                                        const dht::NodeRecord& node) {
  SS_ASSIGN_OR_RETURN(auto link, swarm.Link(node, std::chrono::seconds(10)));
  SS_ASSIGN_OR_RETURN(nlohmann::json reply,
                      link->Call({{"type", "GET_MODEL_META"}}, std::chrono::seconds(30)));
  const std::string from = "GET_MODEL_META from node " + ShortId(node.peer_id);
  if (net::StringOr(reply, "status", "") != "ok")
    return Status::Unavailable(from + ": " + net::StringOr(reply, "error", "error without a message"));
  if (!reply.contains("metadata_gguf") || !reply["metadata_gguf"].is_string())
    return Status::Unavailable(from + ": the reply carries no metadata_gguf");
  auto meta = std::make_shared<ModelMeta>();
  auto bytes = Base64Decode(reply["metadata_gguf"].get<std::string>());
  if (!bytes.ok()) return Status::Unavailable(from + ": metadata_gguf: " + bytes.status().message());
  meta->gguf_bytes.assign(bytes->begin(), bytes->end());
  auto file = gguf::File::Parse(reinterpret_cast<const uint8_t*>(meta->gguf_bytes.data()),
                                meta->gguf_bytes.size(), "model metadata from node " + ShortId(node.peer_id));
  if (!file.ok()) return Status::Unavailable(from + ": " + file.status().message());
  meta->file = std::move(file.value());
  auto config = engine::Config::FromGguf(*meta->file);
  if (!config.ok()) return Status::Unavailable(from + ": " + config.status().message());
  auto tokenizer = model::Tokenizer::Load(*meta->file);
  if (!tokenizer.ok()) return Status::Unavailable(from + ": " + tokenizer.status().message());
  meta->tokenizer = std::make_unique<model::Tokenizer>(std::move(tokenizer.value()));
  meta->model_id = node.model_id;
  meta->n_ctx = config->n_ctx;
  meta->n_vocab = config->n_vocab;
  meta->n_layer = config->n_layer;
  meta->n_embd = config->n_embd;
  meta->name = meta->file->GetStringOr("general.name", "");
  if (meta->name.empty()) meta->name = "shardswarm-" + node.model_id.substr(0, 12);
  meta->chat_format = model::ChatFormatOf(*meta->file);
  return std::shared_ptr<const ModelMeta>(std::move(meta));
}

}  // namespace ss::gateway
