#include "engine/pipeline.h"

#include <cstdlib>
#include <filesystem>
#include <map>

namespace ss::engine {
namespace {

namespace fs = std::filesystem;

// shard-{i}.gguf files of a directory, by i.
Result<std::vector<std::string>> ShardFiles(const std::string& dir) {
  std::map<int, std::string> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string n = e.path().filename().string();
    if (n.rfind("shard-", 0) != 0 || e.path().extension() != ".gguf") continue;
    files[std::atoi(n.c_str() + 6)] = e.path().string();
  }
  if (files.empty()) return Status::Error(dir + " holds no shard-{i}.gguf files");
  std::vector<std::string> out;
  for (const auto& [i, path] : files) {
    if (i != static_cast<int>(out.size()))
      return Status::Error(dir + ": shard-" + std::to_string(out.size()) + ".gguf is missing");
    out.push_back(path);
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<Pipeline>> Pipeline::Open(const std::string& path, const StageOptions& options) {
  std::vector<std::string> files{path};
  if (fs::is_directory(path)) {
    auto shards = ShardFiles(path);
    if (!shards.ok()) return shards.status();
    files = *shards;
  }
  auto p = std::make_unique<Pipeline>();
  for (const std::string& f : files) {
    auto stage = Stage::Open(f, options);
    if (!stage.ok()) return stage.status();
    int expect = p->stages_.empty() ? 0 : p->stages_.back()->layer_end();
    if ((*stage)->layer_start() != expect)
      return Status::Error(f + " starts at layer " + std::to_string((*stage)->layer_start()) + ", expected " +
                           std::to_string(expect) + "; check the directory with `shardswarm shard validate`");
    p->stages_.push_back(std::move(stage.value()));
  }
  if (!p->stages_.back()->is_last())
    return Status::Error(path + ": the shards end at layer " +
                         std::to_string(p->stages_.back()->layer_end()) + " of " +
                         std::to_string(p->config().n_layer));
  return p;
}

Status Pipeline::Forward(const std::vector<BatchRow>& rows, std::vector<float>* logits) {
  const float* in = nullptr;
  for (size_t i = 0; i < stages_.size(); ++i) {
    std::vector<float>* out = stages_[i]->is_last() ? logits : &hidden_[i % 2];
    SS_RETURN_IF_ERROR(stages_[i]->Forward(rows, in, out));
    in = out->data();
  }
  return Status::Ok();
}

void Pipeline::CloseSession(uint64_t session) {
  for (auto& s : stages_) s->CloseSession(session);
}

}  // namespace ss::engine
