#include "engine/pipeline.h"

#include <filesystem>
#include <map>
#include <optional>
#include <tuple>

#include "gguf/shard_keys.h"
#include "util/hex.h"

namespace ss::engine {
namespace {

namespace fs = std::filesystem;

// shard-{i}.gguf files of a directory, by i.
Result<std::vector<std::string>> ShardFiles(const std::string& dir) {
  std::map<int, std::string> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (auto i = gguf::ParseShardFileName(e.path().filename().string())) files[*i] = e.path().string();
  if (files.empty()) return Status::Error(dir + " holds no shard-{i}.gguf files");
  std::vector<std::string> out;
  for (const auto& [i, path] : files) {
    if (i != static_cast<int>(out.size()))
      return Status::Error(dir + ": " + gguf::ShardFileName(static_cast<int>(out.size())) + " is missing");
    out.push_back(path);
  }
  return out;
}

const char kMixed[] = ": the directory mixes shards of two models; re-split into an empty directory";

// A directory's stage and its shard keys (nullopt: a whole-model file).
struct ShardOfDirectory {
  const Stage& stage;
  std::optional<gguf::ShardKeys> keys;
};

Status CheckSameModel(const std::string& path, const ShardOfDirectory& s, const ShardOfDirectory& first) {
  const std::string first_name = gguf::ShardFileName(0);
  if (s.keys.has_value() != first.keys.has_value())
    return Status::Error(path + (s.keys ? " is a shard but " : " is not a shard but ") + first_name +
                         (first.keys ? " is" : " is not") + kMixed);
  if (s.keys && s.keys->model_id != first.keys->model_id)
    return Status::Error(path + " belongs to model " + ShortId(s.keys->model_id) + ", not " +
                         ShortId(first.keys->model_id) + " like " + first_name + kMixed);
  const Config &a = s.stage.config(), &b = first.stage.config();
  for (auto [name, mine, theirs] : {std::tuple{"n_embd", a.n_embd, b.n_embd},
                                    {"n_vocab", a.n_vocab, b.n_vocab},
                                    {"n_layer", a.n_layer, b.n_layer}})
    if (mine != theirs)
      return Status::Error(path + " has " + name + " " + std::to_string(mine) + ", not " +
                           std::to_string(theirs) + " like " + first_name + kMixed);
  return Status::Ok();
}

// The ids and the count in the shards' keys agree with the file names.
Status CheckShardNumbers(const std::vector<std::string>& files, const std::vector<ShardOfDirectory>& shards) {
  const int n = static_cast<int>(files.size());
  for (int i = 0; i < n; ++i)
    if (shards[i].keys && shards[i].keys->id != i)
      return Status::Error(files[i] + " says it is shard " + std::to_string(shards[i].keys->id) +
                           "; was it renamed? Each file must be named after its " + gguf::kKeyShardId);
  for (int i = 0; i < n; ++i) {
    const int count = shards[i].keys ? shards[i].keys->count : n;
    if (count < n)
      return Status::Error(files[i] + " is one of " + std::to_string(count) +
                           " shards but the directory holds " + std::to_string(n) +
                           ": they come from different splits; re-split into an empty directory");
    if (count > n)
      return Status::Error(files[i] + " is one of " + std::to_string(count) +
                           " shards but the directory holds " + std::to_string(n) + "; " +
                           gguf::ShardFileName(n) + " is missing");
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<Pipeline>> Pipeline::Open(const std::string& path, const StageOptions& options) {
  std::vector<std::string> files{path};
  const bool dir = fs::is_directory(path);
  if (dir) {
    SS_ASSIGN_OR_RETURN(files, ShardFiles(path));
  }
  auto p = std::make_unique<Pipeline>();
  std::vector<ShardOfDirectory> shards;
  for (const std::string& f : files) {
    SS_ASSIGN_OR_RETURN(std::unique_ptr<Stage> stage, Stage::Open(f, options));
    SS_ASSIGN_OR_RETURN(std::optional<gguf::ShardKeys> keys, gguf::ReadShardKeys(stage->file()));
    shards.push_back({*stage, std::move(keys)});
    if (dir) SS_RETURN_IF_ERROR(CheckSameModel(f, shards.back(), shards.front()));
    int expect = p->stages_.empty() ? 0 : p->stages_.back()->layer_end();
    if (stage->layer_start() != expect)
      return Status::Error(f + " starts at layer " + std::to_string(stage->layer_start()) + ", expected " +
                           std::to_string(expect) + "; check the directory with `shardswarm shard validate`");
    p->stages_.push_back(std::move(stage));
  }
  if (dir) SS_RETURN_IF_ERROR(CheckShardNumbers(files, shards));
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
