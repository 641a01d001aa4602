#include "node/model_meta.h"

#include "gguf/writer.h"
#include "util/base64.h"
#include "util/file_io.h"

namespace ss::node {

Result<std::string> WriteMetadataGguf(const gguf::File& file, const std::string& path) {
  gguf::Writer w;
  for (const gguf::KeyValue& kv : file.metadata())
    if (kv.key.rfind("shardswarm.shard.", 0) != 0) w.SetMetadata(kv.key, kv.value);
  SS_ASSIGN_OR_RETURN(auto out, OutputFile::Create(path));
  SS_RETURN_IF_ERROR(w.Begin(out.get()));
  SS_RETURN_IF_ERROR(w.Finish());
  SS_RETURN_IF_ERROR(out->Close());
  SS_RETURN_IF_ERROR(out->Commit());
  return ReadWholeFile(path);
}

nlohmann::json ModelMetaJson(const ModelMetaInput& in) {
  const engine::Stage& s = *in.stage;
  const engine::Config& c = s.config();
  nlohmann::json j = {
      {"model_id", in.model_id},
      {"model_name", in.model_name.empty() ? s.file().GetStringOr("general.name", "") : in.model_name},
      {"architecture", c.arch},
      {"n_layer", c.n_layer},
      {"n_ctx", s.n_ctx()},
      {"n_vocab", c.n_vocab},
      {"n_embd", c.n_embd},
      {"shard_id", in.shard_id},
      {"total_shards", in.total_shards},
      {"layer_start", s.layer_start()},
      {"layer_end", s.layer_end()},
      {"metadata_gguf", Base64Encode(in.metadata_gguf)}};
  if (const gguf::Value* t = s.file().Find("tokenizer.chat_template"); t && t->is_string())
    j["chat_template"] = t->AsString();
  return j;
}

}  // namespace ss::node
