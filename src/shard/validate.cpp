#include "shard/validate.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "gguf/reader.h"
#include "gguf/shard_keys.h"
#include "gguf/tensor_names.h"
#include "shard/manifest.h"
#include "util/file_io.h"
#include "util/hex.h"
#include "util/sha256.h"

namespace ss::shard {
namespace {

namespace fs = std::filesystem;

struct Shard {
  int index;  // position in the expected set (file shard-{index}.gguf)
  std::string name;
  std::unique_ptr<gguf::File> file;
  int id = -1, count = -1;
  LayerRange layers;
  std::string model_id;
};

// Fills s's id, count, layers and model from its shardswarm.* keys; a problem
// if any is absent or wrong.
std::optional<std::string> TakeShardKeys(Shard& s) {
  auto keys = gguf::ReadShardKeys(*s.file);
  if (!keys.ok() || !*keys)
    return s.name + " is not a shardswarm shard (" +
           (keys.ok() ? std::string("it has no shardswarm.* keys") : keys.status().message()) +
           "); make shards with `shardswarm shard split`";
  const gguf::ShardKeys& k = **keys;
  s.id = k.id;
  s.count = k.count;
  s.layers = {k.layer_start, k.layer_end};
  s.model_id = k.model_id;
  return std::nullopt;
}

void CheckTensors(const Shard& s, bool first, bool last, std::vector<std::string>& problems) {
  std::set<std::string, std::less<>> suffixes(std::begin(gguf::kLayerTensorSuffixes),
                                              std::end(gguf::kLayerTensorSuffixes));
  for (const gguf::TensorInfo& t : s.file->tensors()) {
    int layer = gguf::TensorLayer(t.name);
    if (layer < 0) continue;
    if (const std::string_view suffix = gguf::LayerTensorSuffix(t.name); !suffix.empty())
      suffixes.emplace(suffix);
    if (layer < s.layers.start || layer >= s.layers.end)
      problems.push_back(s.name + " holds " + t.name + ", outside its layers " + FormatRange(s.layers));
  }
  std::vector<std::string> missing;
  for (int l = s.layers.start; l < s.layers.end; ++l)
    for (const std::string& suf : suffixes) {
      std::string name = gguf::LayerWeightName(l, suf);
      if (!s.file->FindTensor(name)) missing.push_back(name);
    }
  const std::string embd = gguf::WeightName(gguf::kTokenEmbd), norm = gguf::WeightName(gguf::kOutputNorm),
                    output = gguf::WeightName(gguf::kOutput);
  if (first && !s.file->FindTensor(embd)) missing.push_back(embd);
  if (last && !s.file->FindTensor(norm)) missing.push_back(norm);
  if (last && !s.file->FindTensor(output) && !s.file->FindTensor(embd)) missing.push_back(output);
  for (const std::string& m : missing)
    problems.push_back(s.name + " lacks tensor " + m +
                       ", which its layers need; the file is incomplete — split "
                       "the model again");
}

void CheckRanges(const std::vector<Shard*>& shards, int layer_count, std::vector<std::string>& problems) {
  int expect = 0;
  const Shard* prev = nullptr;
  for (const Shard* s : shards) {
    if (s->layers.start > expect)
      problems.push_back("no shard holds layers " + std::to_string(expect) + "-" +
                         std::to_string(s->layers.start - 1) + " (between " +
                         (prev ? prev->name : "the start") + " and " + s->name + ")");
    else if (s->layers.start < expect && prev)
      problems.push_back(prev->name + " (layers " + FormatRange(prev->layers) + ") and " + s->name +
                         " (layers " + FormatRange(s->layers) + ") overlap at layer " +
                         std::to_string(s->layers.start));
    expect = std::max(expect, s->layers.end);
    prev = s;
  }
  if (prev && expect < layer_count)
    problems.push_back("no shard holds layers " + std::to_string(expect) + "-" +
                       std::to_string(layer_count - 1) + " (after " + prev->name + ")");
  if (prev && expect > layer_count)
    problems.push_back(prev->name + " ends at layer " + std::to_string(expect - 1) +
                       " but the model has only " + std::to_string(layer_count) + " layers");
}

// A file's size and hash against its manifest entry.
void EntryProblems(const std::string& name, uint64_t size, const Result<std::string>& sha,
                   const ShardEntry& e, std::vector<std::string>& problems) {
  if (size != e.size)
    problems.push_back(name + " is " + std::to_string(size) + " bytes but manifest.json says " +
                       std::to_string(e.size) + ": the file is truncated or was replaced; copy it again");
  if (!sha.ok())
    problems.push_back(sha.status().message());
  else if (*sha != e.sha256)
    problems.push_back(name + " does not match manifest.json: its SHA-256 is " + ShortId(*sha) +
                       " but should be " + ShortId(e.sha256) +
                       "; the file is corrupt or was modified — copy it again");
}

// The file's SHA-256, from `cache` when its path, size and mtime are as recorded there.
Result<std::string> CachedSha256(const std::string& path, uint64_t size, int64_t mtime_ns,
                                 const std::string& cache) {
  auto text = ReadWholeFile(cache);
  if (text.ok()) {
    auto j = nlohmann::json::parse(*text, nullptr, false);
    if (j.is_object() && j.value("path", "") == path && j.value("size", uint64_t{0}) == size &&
        j.value("mtime_ns", int64_t{0}) == mtime_ns && j.contains("sha256") && j["sha256"].is_string())
      return j["sha256"].get<std::string>();
  }
  SS_ASSIGN_OR_RETURN(std::string sha, Sha256File(path));
  nlohmann::json j = {{"path", path}, {"size", size}, {"mtime_ns", mtime_ns}, {"sha256", sha}};
  (void)WriteWholeFile(cache, j.dump() + "\n");  // only a cache: a failure costs a re-hash
  return sha;
}

void CheckAgainstManifest(const Shard& s, const Manifest& m, const std::string& path,
                          std::vector<std::string>& problems) {
  const ShardEntry* e = nullptr;
  for (const ShardEntry& x : m.shards)
    if (x.file == s.name) e = &x;
  if (!e) {
    problems.push_back(s.name + " is not listed in manifest.json");
    return;
  }
  std::error_code ec;
  EntryProblems(s.name, fs::file_size(path, ec), Sha256File(path), *e, problems);
}

Status Joined(const std::vector<std::string>& problems) {
  if (problems.empty()) return Status::Ok();
  std::string text;
  for (const std::string& p : problems) text += (text.empty() ? "" : "; ") + p;
  return Status::Error(text);
}

}  // namespace

Status CheckShardFile(const std::string& dir, int shard_id, const std::string& hash_cache) {
  const std::string manifest_path = dir + "/" + kManifestName;
  if (!fs::exists(manifest_path)) return Status::Ok();
  SS_ASSIGN_OR_RETURN(Manifest m, Manifest::Load(manifest_path));
  const std::string name = ShardFileName(shard_id), path = dir + "/" + name;
  const ShardEntry* e = nullptr;
  for (const ShardEntry& x : m.shards)
    if (x.id == shard_id && x.file == name) e = &x;
  if (!e) return Status::Error(name + " is not listed in " + manifest_path);
  std::error_code ec;
  const uint64_t size = fs::file_size(path, ec);
  if (ec) return Status::Error("cannot read " + path + ": " + ec.message());
  const auto mtime = fs::last_write_time(path, ec).time_since_epoch();
  const int64_t mtime_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(mtime).count();
  std::vector<std::string> problems;
  EntryProblems(
      name, size,
      size == e->size ? CachedSha256(path, size, mtime_ns, hash_cache) : Result<std::string>(e->sha256), *e,
      problems);
  return Joined(problems);
}

Status CheckShardDirectory(const std::string& dir) {
  const std::string manifest_path = dir + "/" + kManifestName;
  if (!fs::exists(manifest_path)) return Status::Ok();
  auto m = Manifest::Load(manifest_path);
  if (!m.ok()) return m.status().Context("checking the shards against " + manifest_path);
  std::vector<std::string> problems;
  for (const ShardEntry& e : m->shards) {
    const std::string path = dir + "/" + e.file;
    std::error_code ec;
    const uint64_t size = fs::file_size(path, ec);
    if (ec) {
      problems.push_back(e.file + ", listed in manifest.json, cannot be read: " + ec.message());
      continue;
    }
    EntryProblems(e.file, size, size == e.size ? Sha256File(path) : Result<std::string>(e.sha256), e,
                  problems);
  }
  return Joined(problems);
}

ValidationReport ValidateShards(const std::string& dir, int expected) {
  ValidationReport r;
  if (!fs::is_directory(dir)) {
    r.problems.push_back(dir + " is not a directory");
    return r;
  }
  std::optional<Manifest> manifest;
  std::string manifest_path = dir + "/" + kManifestName;
  std::error_code ec;
  if (!fs::exists(manifest_path, ec)) {
    r.problems.push_back("manifest.json is missing from " + dir +
                         ", so sizes and hashes cannot be checked; copy it from where the model was split");
  } else if (auto m = Manifest::Load(manifest_path); !m.ok()) {
    r.problems.push_back("manifest.json cannot be read: " + m.status().message());
  } else {
    manifest = m.value();
    if (static_cast<int>(manifest->shards.size()) != expected)
      r.problems.push_back("manifest.json lists " + std::to_string(manifest->shards.size()) +
                           " shards, not the " + std::to_string(expected) + " expected");
  }

  std::vector<Shard> shards;
  for (int i = 0; i < expected; ++i) {
    std::string name = ShardFileName(i), path = dir + "/" + name;
    std::string range_hint;
    if (manifest && i < static_cast<int>(manifest->shards.size()))
      range_hint = " (it should hold layers " + FormatRange(manifest->shards[i].layers) + ")";
    if (!fs::exists(path, ec)) {
      r.problems.push_back(name + " is missing from " + dir + range_hint +
                           "; copy it from another node or run `shardswarm shard split` again");
      continue;
    }
    auto f = gguf::File::Open(path);
    if (!f.ok()) {
      r.problems.push_back(name + " cannot be read: " + f.status().message() +
                           ". The file is damaged or incomplete; copy it again");
      if (manifest) {
        Shard s{i, name, nullptr};
        CheckAgainstManifest(s, *manifest, path, r.problems);
      }
      continue;
    }
    Shard s{i, name, std::move(f.value())};
    if (auto p = TakeShardKeys(s)) {
      r.problems.push_back(*p);
      continue;
    }
    if (s.id != i)
      r.problems.push_back(name + " says it is shard " + std::to_string(s.id) + " (file renamed?)");
    if (s.count != expected)
      r.problems.push_back(name + " is one of " + std::to_string(s.count) + " shards, but " +
                           std::to_string(expected) + " are expected: it comes from a different split");
    if (manifest) CheckAgainstManifest(s, *manifest, path, r.problems);
    shards.push_back(std::move(s));
  }

  // One model: the manifest's, else the one most shards name.
  std::map<std::string, int> votes;
  for (const Shard& s : shards) votes[s.model_id]++;
  std::string model_id = manifest ? manifest->model_id : "";
  if (model_id.empty() && !votes.empty())
    model_id = std::max_element(votes.begin(), votes.end(), [](auto& a, auto& b) {
                 return a.second < b.second;
               })->first;
  std::vector<Shard*> same_model;
  for (Shard& s : shards) {
    if (s.model_id != model_id)
      r.problems.push_back(s.name + " belongs to model " + ShortId(s.model_id) + " but " +
                           (manifest ? "manifest.json" : "the other shards") + " to model " +
                           ShortId(model_id) +
                           ": it was split from a different model file; replace it with the right one");
    else
      same_model.push_back(&s);
  }

  int layer_count = manifest ? manifest->layer_count : 0;
  if (!same_model.empty()) {
    auto lc = gguf::LayerCount(*same_model.front()->file);
    if (lc.ok()) layer_count = *lc;
  }
  if (static_cast<int>(same_model.size()) == expected) {
    std::sort(same_model.begin(), same_model.end(),
              [](const Shard* a, const Shard* b) { return a->layers.start < b->layers.start; });
    CheckRanges(same_model, layer_count, r.problems);
  }
  for (const Shard* s : same_model)
    CheckTensors(*s, s->layers.start == 0, s->layers.end == layer_count, r.problems);

  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string n = entry.path().filename().string();
    if (auto k = gguf::ParseShardFileName(n); k && *k >= expected)
      r.problems.push_back(n + " is not one of the expected " + std::to_string(expected) +
                           " shards; remove it: `generate` reads every shard-K.gguf of a directory as one "
                           "model");
  }
  if (r.ok())
    r.notes.push_back(std::to_string(expected) + " shards of model " + ShortId(model_id) +
                      " cover layers 0-" + std::to_string(layer_count - 1) +
                      "; every size and SHA-256 matches manifest.json");
  return r;
}

}  // namespace ss::shard
