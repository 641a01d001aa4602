#include "engine/config.h"

namespace ss::engine {

Result<Config> Config::FromGguf(const gguf::File& file) {
  Config c;
  auto arch = file.GetString("general.architecture");
  if (!arch.ok()) return arch.status();
  c.arch = *arch;
  if (c.arch != "llama")
    return Status::Error(file.path() + ": 'general.architecture' is '" + c.arch +
                         "'; only 'llama' models are supported");
  auto get = [&](const std::string& key, int* out) -> Status {
    auto v = file.GetInt(c.arch + "." + key);
    if (!v.ok()) return v.status();
    if (*v <= 0 || *v > (1 << 24))
      return Status::Error(file.path() + ": '" + c.arch + "." + key + "' = " + std::to_string(*v) +
                           " is out of range");
    *out = static_cast<int>(*v);
    return Status::Ok();
  };
  SS_RETURN_IF_ERROR(get("embedding_length", &c.n_embd));
  SS_RETURN_IF_ERROR(get("block_count", &c.n_layer));
  SS_RETURN_IF_ERROR(get("attention.head_count", &c.n_head));
  SS_RETURN_IF_ERROR(get("feed_forward_length", &c.n_ff));
  SS_RETURN_IF_ERROR(get("context_length", &c.n_ctx));
  c.n_head_kv = c.n_head;
  if (file.Find(c.arch + ".attention.head_count_kv"))
    SS_RETURN_IF_ERROR(get("attention.head_count_kv", &c.n_head_kv));
  if (c.n_embd % c.n_head != 0)
    return Status::Error(file.path() + ": embedding length " + std::to_string(c.n_embd) +
                         " is not divisible by the head count " + std::to_string(c.n_head));
  if (c.n_head % c.n_head_kv != 0)
    return Status::Error(file.path() + ": head count " + std::to_string(c.n_head) +
                         " is not a multiple of the KV head count " + std::to_string(c.n_head_kv));
  c.head_dim = c.n_embd / c.n_head;
  c.rope_dim = c.head_dim;
  if (file.Find(c.arch + ".rope.dimension_count"))
    SS_RETURN_IF_ERROR(get("rope.dimension_count", &c.rope_dim));
  if (c.rope_dim > c.head_dim || c.rope_dim % 2 != 0)
    return Status::Error(file.path() + ": rope dimension " + std::to_string(c.rope_dim) + " is invalid");
  if (file.Find(c.arch + ".rope.freq_base")) {
    auto v = file.GetFloat(c.arch + ".rope.freq_base");
    if (!v.ok()) return v.status();
    c.rope_base = static_cast<float>(*v);
  }
  auto eps = file.GetFloat(c.arch + ".attention.layer_norm_rms_epsilon");
  if (!eps.ok()) return eps.status();
  c.rms_eps = static_cast<float>(*eps);
  if (const gguf::Value* scaling = file.Find(c.arch + ".rope.scaling.type")) {
    if (scaling->is_string() && scaling->AsString() != "none")
      return Status::Error(file.path() + ": rope scaling '" + scaling->AsString() + "' is not supported yet");
  }
  if (const gguf::Value* tokens = file.Find("tokenizer.ggml.tokens")) {
    c.n_vocab = static_cast<int>(tokens->ArraySize());
  } else if (file.Find(c.arch + ".vocab_size")) {
    SS_RETURN_IF_ERROR(get("vocab_size", &c.n_vocab));
  } else {
    return Status::Error(file.path() + ": neither 'tokenizer.ggml.tokens' nor '" + c.arch +
                         ".vocab_size' gives the vocabulary size");
  }
  return c;
}

}  // namespace ss::engine
