#include "dht/record.h"

#include <nlohmann/json.hpp>

#include "util/json_fields.h"
#include "util/json_parse.h"

namespace ss::dht {

std::string NodeRecord::ToJson() const {
  nlohmann::json j = {{"peer_id", peer_id},
                      {"cluster", cluster},
                      {"shard_id", shard_id},
                      {"total_shards", total_shards},
                      {"layer_start", layer_start},
                      {"layer_end", layer_end},
                      {"total_layers", total_layers},
                      {"model_id", model_id},
                      {"model_name", model_name},
                      {"rpc_endpoint", rpc_endpoint},
                      {"torrent_endpoint", torrent_endpoint},
                      {"tls_fingerprint", tls_fingerprint},
                      {"capabilities",
                       {{"shard_loaded", shard_loaded},
                        {"shard_problem", shard_problem},
                        {"memory_bytes", memory_bytes},
                        {"cores", cores},
                        {"gpu", gpu},
                        {"load", load},
                        {"version", version}}},
                      {"refresh_s", refresh_s},
                      {"time_ms", time_ms}};
  if (download) {
    j["download"] = {{"state", download->state}, {"percent", download->percent}, {"rate", download->rate},
                     {"peers", download->peers}, {"eta_s", download->eta_s},     {"error", download->error}};
  }
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<NodeRecord> NodeRecord::FromJson(const std::string& text) {
  nlohmann::json j = ParseUntrustedJsonOrDiscarded(text);
  if (!j.is_object()) return Status::Error("node record is not a JSON object");
  try {
    NodeRecord r;
    r.peer_id = j.at("peer_id").get<std::string>();
    r.cluster = j.at("cluster").get<std::string>();
    r.shard_id = IntField<int>(j, "shard_id");
    r.total_shards = IntField<int>(j, "total_shards");
    r.layer_start = IntFieldOr<int>(j, "layer_start", 0);
    r.layer_end = IntFieldOr<int>(j, "layer_end", 0);
    r.total_layers = IntFieldOr<int>(j, "total_layers", 0);
    r.model_id = j.value("model_id", "");
    r.model_name = j.value("model_name", "");
    r.rpc_endpoint = j.at("rpc_endpoint").get<std::string>();
    r.torrent_endpoint = j.value("torrent_endpoint", "");
    r.tls_fingerprint = j.at("tls_fingerprint").get<std::string>();
    const nlohmann::json& c = j.at("capabilities");
    r.shard_loaded = c.at("shard_loaded").get<bool>();
    r.shard_problem = c.value("shard_problem", "");
    r.memory_bytes = IntFieldOr<uint64_t>(c, "memory_bytes", 0);
    r.cores = IntFieldOr<int>(c, "cores", 0);
    r.gpu = c.value("gpu", "");
    r.load = c.value("load", 0.0);
    r.version = c.value("version", "");
    r.refresh_s = IntFieldOr<int>(j, "refresh_s", 5);
    r.time_ms = IntFieldOr<int64_t>(j, "time_ms", 0);
    if (j.contains("download")) {
      const nlohmann::json& d = j.at("download");
      r.download = DownloadRecord{d.at("state").get<std::string>(),    d.value("percent", 0.0),
                                  IntFieldOr<int64_t>(d, "rate", 0),   IntFieldOr<int>(d, "peers", 0),
                                  IntFieldOr<int64_t>(d, "eta_s", -1), d.value("error", "")};
    }
    if (r.shard_id < 0 || r.total_shards <= 0 || r.total_shards > 100000 || r.shard_id >= r.total_shards ||
        r.refresh_s <= 0 || r.refresh_s > kMaxRefreshSeconds)
      return Status::Error("node record has an invalid shard id, shard count or refresh interval");
    return r;
  } catch (const std::exception& e) {
    // nlohmann reports missing or mistyped fields by exception; it stops here.
    return Status::Error(std::string("node record: missing or mistyped field: ") + e.what());
  }
}

std::string ClientRecord::ToJson() const {
  return nlohmann::json({{"peer_id", peer_id},
                         {"cluster", cluster},
                         {"role", role},
                         {"tls_fingerprint", tls_fingerprint},
                         {"time_ms", time_ms}})
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<ClientRecord> ClientRecord::FromJson(const std::string& text) {
  nlohmann::json j = ParseUntrustedJsonOrDiscarded(text);
  if (!j.is_object() || !j.contains("peer_id") || !j["peer_id"].is_string() ||
      !j.contains("tls_fingerprint") || !j["tls_fingerprint"].is_string())
    return Status::Error("client record needs string fields peer_id and tls_fingerprint");
  ClientRecord c;
  c.peer_id = j["peer_id"];
  c.tls_fingerprint = j["tls_fingerprint"];
  // Optional fields are read only when they have the right type: values come
  // from anyone on the DHT.
  if (j.contains("cluster") && j["cluster"].is_string()) c.cluster = j["cluster"];
  if (j.contains("role") && j["role"].is_string()) c.role = j["role"];
  if (j.contains("time_ms") && j["time_ms"].is_number_integer()) c.time_ms = j["time_ms"];
  return c;
}

std::string FileRecord::ToJson() const {
  return nlohmann::json({{"peer_id", peer_id},
                         {"cluster", cluster},
                         {"info_hash", info_hash},
                         {"file", file},
                         {"shard_id", shard_id},
                         {"torrent_endpoint", torrent_endpoint},
                         {"complete", complete},
                         {"time_ms", time_ms}})
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<FileRecord> FileRecord::FromJson(const std::string& text) {
  nlohmann::json j = ParseUntrustedJsonOrDiscarded(text);
  if (!j.is_object()) return Status::Error("file record is not a JSON object");
  try {
    FileRecord r;
    r.peer_id = j.at("peer_id").get<std::string>();
    r.cluster = j.at("cluster").get<std::string>();
    r.info_hash = j.at("info_hash").get<std::string>();
    r.file = j.value("file", "");
    r.shard_id = IntFieldOr<int>(j, "shard_id", 0);
    r.torrent_endpoint = j.at("torrent_endpoint").get<std::string>();
    r.complete = j.value("complete", false);
    r.time_ms = IntFieldOr<int64_t>(j, "time_ms", 0);
    return r;
  } catch (const std::exception& e) {
    return Status::Error(std::string("file record: missing or mistyped field: ") + e.what());
  }
}

std::string ClaimRecord::ToJson() const {
  return nlohmann::json({{"peer_id", peer_id}, {"cluster", cluster}, {"shard", shard}, {"time_ms", time_ms}})
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<ClaimRecord> ClaimRecord::FromJson(const std::string& text) {
  nlohmann::json j = ParseUntrustedJsonOrDiscarded(text);
  if (!j.is_object() || !j.contains("peer_id") || !j["peer_id"].is_string() || !j.contains("cluster") ||
      !j["cluster"].is_string())
    return Status::Error("claim record needs string fields peer_id and cluster");
  ClaimRecord c;
  c.peer_id = j["peer_id"];
  c.cluster = j["cluster"];
  try {
    c.shard = IntFieldOr<int>(j, "shard", -1);
    c.time_ms = IntFieldOr<int64_t>(j, "time_ms", 0);
  } catch (const std::exception& e) {
    return Status::Error(std::string("claim record: ") + e.what());
  }
  if (c.shard < -1) return Status::Error("claim record: shard " + std::to_string(c.shard) + " is below -1");
  return c;
}

}  // namespace ss::dht
