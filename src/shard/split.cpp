#include "shard/split.h"

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string_view>

#include "gguf/reader.h"
#include "gguf/shard_keys.h"
#include "gguf/tensor_names.h"
#include "gguf/writer.h"
#include "util/file_io.h"
#include "util/log.h"
#include "util/sha256.h"

namespace ss::shard {
namespace {

namespace fs = std::filesystem;
using gguf::Value;

struct Progress {
  const SplitOptions& opt;
  const char* phase;
  uint64_t total;
  uint64_t done = 0;
  void Add(uint64_t n) {
    done += n;
    if (opt.progress) opt.progress(phase, done, total);
  }
};

// Streams [p, p + n) of the source map to `sink` in chunks, dropping each chunk
// from memory afterwards, so a pass over a huge model runs in constant RSS.
template <typename Sink>
Status Stream(const gguf::File& src, const uint8_t* p, uint64_t n, Progress& progress, Sink sink) {
  for (uint64_t pos = 0; pos < n;) {
    size_t take = static_cast<size_t>(std::min<uint64_t>(kIoChunk, n - pos));
    SS_RETURN_IF_ERROR(sink(p + pos, take));
    src.ReleasePages(p + pos, take);
    pos += take;
    progress.Add(take);
  }
  return Status::Ok();
}

std::string HashSource(const SplitOptions& opt, const gguf::File& src) {
  Sha256 hash;
  Progress p{opt, "hashing", src.file_size()};
  // Hashing mapped memory cannot fail (a vanished file would fault, as any read of the map).
  (void)Stream(src, src.bytes(), src.file_size(), p, [&](const uint8_t* d, size_t n) {
    hash.Update(d, n);
    return Status::Ok();
  });
  return hash.HexDigest();
}

Result<std::vector<LayerRange>> MakePlan(const SplitOptions& opt, int layers) {
  if (opt.layers.empty()) return EvenPlan(layers, opt.shards);
  auto plan = ParsePlan(opt.layers, layers);
  if (!plan.ok()) return plan.status();
  if (opt.shards != 0 && static_cast<int>(plan->size()) != opt.shards)
    return Status::Error("--layers names " + std::to_string(plan->size()) + " ranges but --shards is " +
                         std::to_string(opt.shards));
  return plan;
}

// The tensors of shard `id`, in source order.
std::vector<const gguf::TensorInfo*> ShardTensors(const gguf::File& src, const std::vector<LayerRange>& plan,
                                                  size_t id) {
  bool tied = src.FindTensor(gguf::WeightName(gguf::kOutput)) == nullptr;
  std::vector<const gguf::TensorInfo*> out;
  for (const gguf::TensorInfo& t : src.tensors())
    if (TensorInShard(t.name, plan[id], id == 0, id + 1 == plan.size(), tied)) out.push_back(&t);
  return out;
}

// Re-reads a written shard: it must parse and hold exactly the planned tensors.
Status VerifyShard(const std::string& path, const std::vector<const gguf::TensorInfo*>& expect) {
  auto f = gguf::File::Open(path);
  if (!f.ok()) return f.status().Context("verifying the written shard");
  if ((*f)->tensors().size() != expect.size())
    return Status::Error(path + ": wrote " + std::to_string((*f)->tensors().size()) + " tensors, planned " +
                         std::to_string(expect.size()));
  for (size_t i = 0; i < expect.size(); ++i) {
    const gguf::TensorInfo& t = (*f)->tensors()[i];
    if (t.name != expect[i]->name || t.size != expect[i]->size || t.dims != expect[i]->dims)
      return Status::Error(path + ": tensor #" + std::to_string(i) + " is '" + t.name + "', planned '" +
                           expect[i]->name + "'");
  }
  return Status::Ok();
}

// What earlier runs left in the output directory, by file name (sorted).
struct DirContents {
  std::vector<std::string> split;  // manifest.json, shard-K.gguf, shard-K.gguf.torrent
  std::vector<std::string> stale;  // shard-K.gguf.part, manifest.json.part
};

// manifest.json or shard-K.gguf, the names a split commits.
bool IsSplitOutput(std::string_view name) {
  return name == kManifestName || gguf::ParseShardFileName(name).has_value();
}

Result<DirContents> ListEarlierOutput(const std::string& dir) {
  DirContents c;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    std::string_view base = name;
    if (base.ends_with(".part")) {
      base.remove_suffix(5);
      if (IsSplitOutput(base)) c.stale.push_back(name);
      continue;
    }
    if (base.ends_with(".torrent")) base.remove_suffix(8);  // `shard publish` wrote it beside its shard
    if (IsSplitOutput(base)) c.split.push_back(name);
  }
  if (ec) return Status::Error("cannot list " + dir + ": " + ec.message());
  std::sort(c.split.begin(), c.split.end());
  std::sort(c.stale.begin(), c.stale.end());
  return c;
}

// "a, b, c" — at most six names, then how many more.
std::string NameList(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < 6; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > 6) out += " and " + std::to_string(names.size() - 6) + " more";
  return out;
}

Status RemoveAll(const std::string& dir, const std::vector<std::string>& names) {
  for (const std::string& n : names) {
    std::error_code ec;
    fs::remove(dir + "/" + n, ec);
    if (ec) return Status::Error("cannot remove " + dir + "/" + n + ": " + ec.message());
  }
  return Status::Ok();
}

// Makes out_dir ready for a new split: refuses one that holds another split
// (unless `force`), and removes the .part files of an interrupted split,
// which no reader trusts but which take space. Returns the earlier split's
// file names, which Split replaces once the new split is complete.
Result<std::vector<std::string>> PrepareOutDir(const SplitOptions& opt) {
  std::error_code ec;
  fs::create_directories(opt.out_dir, ec);
  if (ec) return Status::Error("cannot create " + opt.out_dir + ": " + ec.message());
  auto earlier = ListEarlierOutput(opt.out_dir);
  if (!earlier.ok()) return earlier.status();
  if (!earlier->split.empty() && !opt.force)
    return Status::InvalidArgument(opt.out_dir + " already holds a split (" + NameList(earlier->split) +
                                   "); split into an empty directory, or pass --force to replace it");
  if (!earlier->stale.empty()) {
    SS_RETURN_IF_ERROR(RemoveAll(opt.out_dir, earlier->stale));
    Log("SHARD", "removed " + std::to_string(earlier->stale.size()) +
                     " .part file(s) an interrupted split left in " + opt.out_dir + ": " +
                     NameList(earlier->stale));
  }
  return std::move(earlier->split);
}

// The earlier split's files the new one does not overwrite: shards beyond
// the new count and every .torrent (they describe the old files).
std::vector<std::string> NotOverwritten(const std::vector<std::string>& earlier, const Manifest& m) {
  std::vector<std::string> out;
  for (const std::string& name : earlier) {
    const bool overwritten =
        std::any_of(m.shards.begin(), m.shards.end(), [&](const ShardEntry& e) { return e.file == name; });
    if (!overwritten && name != kManifestName) out.push_back(name);
  }
  return out;
}

struct ShardOutput {
  std::unique_ptr<OutputFile> file;
  ShardEntry entry;
};

Result<ShardOutput> WriteShard(const gguf::File& src, const std::vector<LayerRange>& plan, size_t id,
                               const std::string& model_id, const std::string& dir, Progress& progress) {
  gguf::Writer w;
  for (const gguf::KeyValue& kv : src.metadata()) w.SetMetadata(kv.key, kv.value);
  w.SetMetadata(kKeyShardId, Value::U32(static_cast<uint32_t>(id)));
  w.SetMetadata(kKeyShardCount, Value::U32(static_cast<uint32_t>(plan.size())));
  w.SetMetadata(kKeyLayerStart, Value::U32(static_cast<uint32_t>(plan[id].start)));
  w.SetMetadata(kKeyLayerEnd, Value::U32(static_cast<uint32_t>(plan[id].end)));
  w.SetMetadata(kKeyModelId, Value::String(model_id));
  std::vector<const gguf::TensorInfo*> tensors = ShardTensors(src, plan, id);
  for (const gguf::TensorInfo* t : tensors) SS_RETURN_IF_ERROR(w.AddTensor(t->name, t->dims, t->type));

  ShardOutput out;
  out.entry.id = static_cast<int>(id);
  out.entry.file = ShardFileName(static_cast<int>(id));
  out.entry.layers = plan[id];
  auto file = OutputFile::Create(dir + "/" + out.entry.file);
  if (!file.ok()) return file.status();
  out.file = std::move(file.value());
  Sha256 hash;
  out.file->HashInto(&hash);
  SS_RETURN_IF_ERROR(w.Begin(out.file.get()));
  for (const gguf::TensorInfo* t : tensors)
    SS_RETURN_IF_ERROR(
        Stream(src, t->data, t->size, progress, [&](const uint8_t* d, size_t n) { return w.Append(d, n); }));
  SS_RETURN_IF_ERROR(w.Finish());
  out.file->HashInto(nullptr);
  SS_RETURN_IF_ERROR(out.file->Close());
  out.entry.size = out.file->written();
  out.entry.sha256 = hash.HexDigest();
  SS_RETURN_IF_ERROR(VerifyShard(out.file->temp_path(), tensors));
  return out;
}

}  // namespace

Result<Manifest> Split(const SplitOptions& opt) {
  auto src = gguf::File::Open(opt.model_path);
  if (!src.ok()) return src.status();
  const gguf::File& model = **src;
  if (model.Find(kKeyShardId))
    return Status::Error(opt.model_path + " is already a shard (it has '" + std::string(kKeyShardId) +
                         "'); split the original model file");
  auto layers = gguf::LayerCount(model);
  if (!layers.ok()) return layers.status();
  auto plan = MakePlan(opt, *layers);
  if (!plan.ok()) return plan.status();

  auto earlier = PrepareOutDir(opt);
  if (!earlier.ok()) return earlier.status();

  Manifest m;
  m.model_id = HashSource(opt, model);
  m.architecture = model.GetStringOr("general.architecture", "");
  m.source_file = fs::path(opt.model_path).filename().string();
  m.model_name = model.GetStringOr("general.name", fs::path(opt.model_path).stem().string());
  m.source_size = model.file_size();
  m.layer_count = *layers;

  uint64_t total = 0;
  for (size_t i = 0; i < plan->size(); ++i)
    for (const gguf::TensorInfo* t : ShardTensors(model, *plan, i)) total += t->size;
  Progress progress{opt, "writing", total};
  std::vector<ShardOutput> outputs;
  for (size_t i = 0; i < plan->size(); ++i) {
    auto shard = WriteShard(model, *plan, i, m.model_id, opt.out_dir, progress);
    if (!shard.ok()) return shard.status();  // .part files are removed with `outputs`
    m.shards.push_back(shard->entry);
    outputs.push_back(std::move(shard.value()));
  }
  auto manifest = OutputFile::Create(opt.out_dir + "/" + kManifestName);
  if (!manifest.ok()) return manifest.status();
  std::string json = m.ToJson();
  SS_RETURN_IF_ERROR((*manifest)->Write(json.data(), json.size()));
  SS_RETURN_IF_ERROR((*manifest)->Close());
  // The earlier manifest goes first and the new one last, so no manifest
  // ever lists the other split's shard files.
  if (!earlier->empty()) SS_RETURN_IF_ERROR(RemoveAll(opt.out_dir, {kManifestName}));
  for (ShardOutput& o : outputs) SS_RETURN_IF_ERROR(o.file->Commit());
  SS_RETURN_IF_ERROR(RemoveAll(opt.out_dir, NotOverwritten(*earlier, m)));
  SS_RETURN_IF_ERROR((*manifest)->Commit());
  if (!earlier->empty())
    Log("SHARD", "--force: replaced the earlier split in " + opt.out_dir + ": " + NameList(*earlier));
  return m;
}

}  // namespace ss::shard
