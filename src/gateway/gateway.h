#pragma once
// The gateway process (DESIGN.md §1, the seed's web_server + coordinator):
// joins the cluster's DHT as a client and keeps the swarm view, learns the
// model from a node once the swarm is ready (and again when the model
// changes), and serves HTTP: the OpenAI-compatible /v1/models,
// /v1/completions and /v1/chat/completions, /healthz, /api/status (the swarm
// view, routes and sessions as JSON) and /metrics (Prometheus text); and the
// web console: its files at / (compiled in), /api/events (the event journal
// as server-sent events, replayed on connect) and /api/series (per-second
// samples for its charts). Every request passes the ApiGuard first (API
// keys, CORS, requests per client); TLS and size/time limits are the HTTP
// server's.
//
// Start() returns once HTTP listens; a background thread watches the swarm,
// logs readiness changes as [STATUS] lines, turns view changes into events
// and samples the charts' figures. Stop() (or destruction) ends it.

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "gateway/api_guard.h"
#include "gateway/completion_api.h"
#include "gateway/event_journal.h"
#include "gateway/metrics.h"
#include "gateway/model_meta.h"
#include "gateway/result_board.h"
#include "gateway/router.h"
#include "gateway/stats_series.h"
#include "gateway/swarm_events.h"
#include "net/http_server.h"
#include "swarm/swarm_client.h"
#include "util/dir_lock.h"

namespace ss::gateway {

struct GatewayOptions {
  swarm::SwarmClientOptions swarm;
  std::string data_dir;  // where the identity is kept; empty: a new one each start
  std::string http_addr = "127.0.0.1";
  uint16_t http_port = 8080;
  CompletionApiOptions api;
  ApiGuardOptions guard;
  std::string api_keys_file;  // more keys, one per line (gateway/api_auth.h)
  std::string tls_cert_file;  // both set: HTTPS (PEM files)
  std::string tls_key_file;
  std::chrono::milliseconds read_timeout{30'000};  // one request's arrival, or an idle keep-alive
  size_t max_body_bytes = 8 * 1024 * 1024;
};

class Gateway {
 public:
  static Result<std::unique_ptr<Gateway>> Start(const GatewayOptions& options);
  ~Gateway();

  uint16_t http_port() const { return http_->port(); }
  const std::string& peer_id() const { return swarm_->identity().peer_id; }
  void Stop();

 private:
  Gateway() = default;
  net::HttpResponse Handle(const net::HttpRequest& request);
  net::HttpResponse Events(const net::HttpRequest& request);
  nlohmann::json StatusJson() const;
  std::string MetricsText() const;
  std::shared_ptr<const ModelMeta> model() const;
  void WatchLoop();
  void RefreshModel();

  GatewayOptions options_;
  std::unique_ptr<DirLock> data_dir_lock_;
  std::unique_ptr<swarm::SwarmClient> swarm_;
  ResultBoard board_;
  Router router_;
  GatewayMetrics metrics_;
  EventJournal journal_;
  SwarmEvents swarm_events_{journal_};
  StatsSeries series_;
  std::unique_ptr<CompletionApi> api_;
  std::unique_ptr<ApiGuard> guard_;
  mutable std::mutex mu_;
  std::shared_ptr<const ModelMeta> model_;
  std::string model_problem_;
  std::unique_ptr<net::HttpServer> http_;
  std::atomic<bool> stop_{false};
  std::thread watcher_;
};

}  // namespace ss::gateway
