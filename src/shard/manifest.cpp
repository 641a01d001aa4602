#include "shard/manifest.h"

#include <nlohmann/json.hpp>
#include <set>

#include "util/file_io.h"
#include "util/json_fields.h"
#include "util/json_parse.h"

namespace ss::shard {

using nlohmann::json;

std::string ShardFileName(int id) { return "shard-" + std::to_string(id) + ".gguf"; }

std::string Manifest::ToJson() const {
  json j = {{"format", kManifestFormat},    {"model_id", model_id},         {"model_name", model_name},
            {"architecture", architecture}, {"source_file", source_file},   {"source_size", source_size},
            {"layer_count", layer_count},   {"shard_count", shards.size()}, {"shards", json::array()}};
  for (const ShardEntry& s : shards) {
    json e = {
        {"id", s.id},     {"file", s.file},    {"layer_start", s.layers.start}, {"layer_end", s.layers.end},
        {"size", s.size}, {"sha256", s.sha256}};
    if (!s.info_hash_v1.empty()) e["info_hash_v1"] = s.info_hash_v1;
    if (!s.info_hash_v2.empty()) e["info_hash_v2"] = s.info_hash_v2;
    j["shards"].push_back(std::move(e));
  }
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

namespace {

// What FromJson accepts beyond the types: names and ranges a reader may use
// as they are (a file name joined to the shards directory, a layer range).
Status Check(const Manifest& m) {
  if (m.layer_count < 1 || m.layer_count > 100000)
    return Status::Error("'layer_count' " + std::to_string(m.layer_count) + " is not from 1 to 100000");
  std::set<int> ids;
  for (const ShardEntry& e : m.shards) {
    const std::string which = "shard " + std::to_string(e.id);
    if (e.id < 0 || e.id >= static_cast<int>(m.shards.size()) || !ids.insert(e.id).second)
      return Status::Error(which + ": ids must be 0 to " + std::to_string(m.shards.size() - 1) +
                           ", each once");
    if (e.file != ShardFileName(e.id))
      return Status::Error(which + ": 'file' must be \"" + ShardFileName(e.id) + "\"");
    if (e.layers.start < 0 || e.layers.end <= e.layers.start || e.layers.end > m.layer_count)
      return Status::Error(which + ": layers [" + std::to_string(e.layers.start) + ", " +
                           std::to_string(e.layers.end) + ") are not within the model's " +
                           std::to_string(m.layer_count));
  }
  return Status::Ok();
}

}  // namespace

Result<Manifest> Manifest::FromJson(const std::string& text) {
  json j = ParseUntrustedJsonOrDiscarded(text);
  if (j.is_discarded() || !j.is_object()) return Status::Error("not valid JSON");
  try {
    if (j.value("format", "") != kManifestFormat)
      return Status::Error("'format' is not \"" + std::string(kManifestFormat) + "\"");
    Manifest m;
    m.model_id = j.at("model_id").get<std::string>();
    m.model_name = j.value("model_name", "");
    m.architecture = j.value("architecture", "");
    m.source_file = j.value("source_file", "");
    m.source_size = IntFieldOr<uint64_t>(j, "source_size", 0);
    m.layer_count = IntField<int>(j, "layer_count");
    for (const json& s : j.at("shards")) {
      ShardEntry e;
      e.id = IntField<int>(s, "id");
      e.file = s.at("file").get<std::string>();
      e.layers = {IntField<int>(s, "layer_start"), IntField<int>(s, "layer_end")};
      e.size = IntField<uint64_t>(s, "size");
      e.sha256 = s.at("sha256").get<std::string>();
      e.info_hash_v1 = s.value("info_hash_v1", "");
      e.info_hash_v2 = s.value("info_hash_v2", "");
      m.shards.push_back(std::move(e));
    }
    SS_RETURN_IF_ERROR(Check(m));
    return m;
  } catch (const std::exception& e) {
    // nlohmann reports a missing or mistyped field by exception; it stops here.
    return Status::Error(std::string("missing or mistyped field: ") + e.what());
  }
}

Result<Manifest> Manifest::Load(const std::string& path) {
  auto text = ReadWholeFile(path);
  if (!text.ok()) return text.status();
  auto m = FromJson(*text);
  if (!m.ok()) return m.status().Context(path);
  return m;
}

}  // namespace ss::shard
