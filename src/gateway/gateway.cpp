#include "gateway/gateway.h"

#include <charconv>
#include <sstream>

#include "gateway/console_assets.h"
#include "gateway/openai_response.h"
#include "util/hex.h"
#include "util/log.h"
#include "util/thread_name.h"

namespace ss::gateway {
namespace {

net::HttpResponse Json(int status, const nlohmann::json& body) {
  return {status,
          "application/json",
          body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n",
          {},
          nullptr};
}

// An error whose HTTP status says more than the Status code can (404, 405,
// 415), with that status as the body's code too.
net::HttpResponse HttpError(int http, const std::string& message) {
  nlohmann::json body = ErrorBody(Status::InvalidArgument(message));
  body["error"]["code"] = http;
  return Json(http, body);
}

net::HttpResponse WrongMethod(const std::string& path, const std::string& method, const std::string& allow) {
  net::HttpResponse r = HttpError(405, path + " takes " + allow + ", not " + method);
  r.headers.emplace_back("allow", allow);
  return r;
}

// The console's pages may load only from the gateway itself.
constexpr const char* kConsolePolicy =
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'";

// The id of the last event a client saw: ?since=N, else its Last-Event-ID
// header (EventSource sends it on reconnecting), else 0 (replay everything).
uint64_t LastSeenEvent(const net::HttpRequest& r) {
  std::string value = r.Header("last-event-id");
  const size_t q = r.target.find("since=");
  if (q != std::string::npos) value = r.target.substr(q + 6, r.target.find('&', q) - q - 6);
  uint64_t id = 0;
  std::from_chars(value.data(), value.data() + value.size(), id);
  return id;
}

net::HttpResponse NoSuchEndpoint(const std::string& path) {
  return HttpError(404, "no such endpoint " + path +
                            "; try / (the console), /v1/models, /v1/completions, /v1/chat/completions, "
                            "/api/status, /api/events, /api/series, /metrics or /healthz");
}

// The paths answered to GET and HEAD (the API's POST paths aside).
bool ServedByGet(const std::string& path) {
  for (const char* p : {"/healthz", "/v1/models", "/api/status", "/api/series", "/api/events", "/metrics",
                        "/", "/index.html"})
    if (path == p) return true;
  return FindConsoleAsset(path) != nullptr;
}

}  // namespace

Result<std::unique_ptr<Gateway>> Gateway::Start(const GatewayOptions& o) {
  std::unique_ptr<Gateway> g(new Gateway());
  g->options_ = o;
  // The API's keys and certificate first: a mistake there fails at once,
  // not after joining the swarm.
  ApiGuardOptions guard = o.guard;
  if (!o.api_keys_file.empty()) {
    SS_ASSIGN_OR_RETURN(std::vector<std::string> keys, ReadApiKeysFile(o.api_keys_file));
    guard.api_keys.insert(guard.api_keys.end(), keys.begin(), keys.end());
  }
  const bool tls = !o.tls_cert_file.empty();
  guard.secure_cookie = tls;
  g->guard_ = std::make_unique<ApiGuard>(guard);
  net::HttpServerOptions ho;
  ho.bind_address = o.http_addr;
  ho.port = o.http_port;
  ho.max_in_flight = static_cast<size_t>(o.api.max_sessions) + 64;  // room for status calls and 429s
  ho.read_timeout = o.read_timeout;
  ho.max_body_bytes = o.max_body_bytes;
  ho.tls_cert_file = o.tls_cert_file;
  ho.tls_key_file = o.tls_key_file;
  if (tls) SS_RETURN_IF_ERROR(net::CheckTlsFiles(ho));
  if (!o.data_dir.empty()) {
    SS_ASSIGN_OR_RETURN(g->data_dir_lock_, DirLock::Acquire(o.data_dir));
  }
  auto id = o.data_dir.empty() ? dht::EphemeralIdentity("shardswarm-gateway")
                               : dht::LoadOrCreateIdentity(o.data_dir, "shardswarm-gateway");
  if (!id.ok()) return id.status();
  Log("CONNECT", "gateway peer id " + id->peer_id);
  SS_ASSIGN_OR_RETURN(g->swarm_, swarm::SwarmClient::Start(*id, o.swarm));
  ResultBoard* board = &g->board_;
  g->swarm_->SetLinkHandlers(
      [board](const std::string& peer, const net::IncomingMessage& m) { board->OnMessage(peer, m); },
      [board](const std::string& peer, const std::string& why) {
        Log("CONNECT", "link to node " + ShortId(peer) + " closed: " + why);
        board->OnLinkClosed(peer, why);
      });
  Gateway* self = g.get();
  g->api_ = std::make_unique<CompletionApi>(
      *g->swarm_, g->board_, g->router_, g->metrics_, g->journal_, [self] { return self->model(); }, o.api);
  SS_ASSIGN_OR_RETURN(g->http_, net::HttpServer::Start(ho, [self](const net::HttpRequest& r) {
                        return self->guard_->Handle(
                            r, [self](const net::HttpRequest& r) { return self->Handle(r); });
                      }));
  Log("CONNECT", std::string("OpenAI-compatible API on ") + (tls ? "https" : "http") + "://" + o.http_addr +
                     ":" + std::to_string(g->http_->port()) + "/v1");
  Log("CONNECT",
      guard.api_keys.empty()
          ? std::string("no API key configured: the API and the console are open to anyone who can "
                        "reach the port (--api-key KEY closes them)")
          : std::to_string(guard.api_keys.size()) +
                " API key(s) configured: /v1, /api, /metrics and the console need one");
  g->watcher_ = std::thread([self] {
    NameThisThread("gateway-watch");
    self->WatchLoop();
  });
  return g;
}

Gateway::~Gateway() { Stop(); }

void Gateway::Stop() {
  if (stop_.exchange(true)) return;
  // Running generations end with an error event rather than a cut stream
  // (a step in flight is waited for, within the grace).
  if (api_) api_->Shutdown(std::chrono::seconds(2));
  journal_.Close();  // ends the event streams
  if (watcher_.joinable()) watcher_.join();
  if (http_) http_->Stop();
}

std::shared_ptr<const ModelMeta> Gateway::model() const {
  std::lock_guard<std::mutex> lock(mu_);
  return model_;
}

// Logs readiness changes, (re)learns the model when the swarm is ready, turns
// view changes into events and samples the console's charts every second.
void Gateway::WatchLoop() {
  std::string last;
  auto next_sample = std::chrono::steady_clock::now();
  while (!stop_) {
    swarm_events_.Observe(swarm_->ViewJson());
    if (auto now = std::chrono::steady_clock::now(); now >= next_sample) {
      series_.Sample(metrics_.Totals(), now);
      next_sample += std::chrono::milliseconds(StatsSeries::kIntervalMs);
      if (next_sample < now) next_sample = now + std::chrono::milliseconds(StatsSeries::kIntervalMs);
    }
    bool ready = swarm_->Ready();
    if (ready) RefreshModel();
    std::string state = ready ? "ready" : "not ready";
    if (!ready)
      for (const std::string& b : swarm_->Blockers()) state += "\n  " + b;
    if (state != last) {
      Log("STATUS",
          "swarm_ready=" + std::string(ready ? "true" : "false") + (ready ? "" : ":" + state.substr(9)));
      last = state;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

void Gateway::RefreshModel() {
  auto first = swarm_->ServingNodes(0);
  if (first.empty()) return;
  std::sort(first.begin(), first.end(), [](const auto& a, const auto& b) { return a.peer_id < b.peer_id; });
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (model_ && model_->model_id == first.front().model_id) return;
  }
  auto meta = FetchModelMeta(*swarm_, first.front());
  std::lock_guard<std::mutex> lock(mu_);
  if (!meta.ok()) {
    if (meta.status().message() != model_problem_)
      Log("STATUS", "cannot learn the model: " + meta.status().message());
    model_problem_ = meta.status().message();
    return;
  }
  model_ = *meta;
  model_problem_.clear();
  Log("STATUS", "serving model " + model_->name + " (id " + ShortId(model_->model_id) + ", " +
                    std::to_string(model_->n_layer) + " layers, context " + std::to_string(model_->n_ctx) +
                    ", " + model::ChatFormatName(model_->chat_format) + " chat format)");
}

net::HttpResponse Gateway::Handle(const net::HttpRequest& r) {
  const std::string& path = r.path;
  if (path == "/v1/completions" || path == "/v1/chat/completions") {
    if (r.method != "POST") return WrongMethod(path, r.method, "POST");
    // A body the API reads must say it is JSON: a browser sends text/plain or
    // a form to any site without asking (no CORS preflight), JSON it does not.
    if (r.MediaType() != "application/json")
      return HttpError(415, path + " takes a JSON body sent as Content-Type: application/json, not '" +
                                r.Header("content-type") + "'");
    return api_->Handle(r, path == "/v1/completions" ? ApiKind::kCompletion : ApiKind::kChat);
  }
  // A path that does not exist is 404 whatever the method: a POST to
  // /v1/embeddings must not be told it would work as a GET.
  if (!ServedByGet(path)) return NoSuchEndpoint(path);
  if (r.method != "GET" && r.method != "HEAD") return WrongMethod(path, r.method, "GET, HEAD");
  if (path == "/healthz") {
    bool ready = swarm_->Ready() && model();
    return Json(200, {{"status", "ok"}, {"role", "gateway"}, {"swarm_ready", ready}});
  }
  if (path == "/v1/models") {
    nlohmann::json data = nlohmann::json::array();
    if (auto m = model())
      data.push_back({{"id", m->name},
                      {"object", "model"},
                      {"created", 0},
                      {"owned_by", "shardswarm"},
                      {"meta",
                       {{"model_id", m->model_id},
                        {"n_ctx", m->n_ctx},
                        {"n_vocab", m->n_vocab},
                        {"n_layer", m->n_layer},
                        {"n_embd", m->n_embd}}}});
    return Json(200, {{"object", "list"}, {"data", data}});
  }
  if (path == "/api/status") return Json(200, StatusJson());
  if (path == "/api/series") return Json(200, series_.ToJson());
  if (path == "/api/events") return Events(r);
  if (const ConsoleAsset* asset = FindConsoleAsset(path)) {
    return {200,
            std::string(ContentTypeOf(path)),
            std::string(asset->bytes),
            {{"cache-control", "no-cache"},
             {"content-security-policy", kConsolePolicy},
             {"x-content-type-options", "nosniff"}},
            nullptr};
  }
  if (path == "/" || path == "/index.html")
    return HttpError(404,
                     "this gateway was built without the web console (web/ was empty at build time); "
                     "the API is at /v1");
  if (path == "/metrics") return {200, "text/plain; version=0.0.4", MetricsText(), {}, nullptr};
  return NoSuchEndpoint(path);
}

// The server-sent event stream of the journal: what the client has not seen,
// then each new event as it comes, a comment every 10 s to keep proxies and
// the connection alive, until the client leaves or the gateway stops.
net::HttpResponse Gateway::Events(const net::HttpRequest& r) {
  net::HttpResponse response{200, "text/event-stream", "", {{"cache-control", "no-cache"}}, nullptr};
  response.stream = [this, seen = LastSeenEvent(r)](net::HttpStreamWriter& w) mutable {
    if (!w.Write("retry: 2000\n\n")) return;
    for (auto batch = journal_.Since(seen); !stop_ && !w.ClientGone();
         batch = journal_.WaitSince(seen, std::chrono::seconds(10))) {
      std::string text = batch.empty() ? ": ping\n\n" : "";
      for (const nlohmann::json& e : batch) {
        seen = e["id"].get<uint64_t>();
        text += "id: " + std::to_string(seen) +
                "\ndata: " + e.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n\n";
      }
      if (journal_.closed() || !w.Write(text)) return;
    }
  };
  return response;
}

nlohmann::json Gateway::StatusJson() const {
  nlohmann::json j = swarm_->ViewJson();
  const nlohmann::json sessions = router_.SessionsPerNode(), stage_ms = router_.StageMsPerNode();
  for (nlohmann::json& shard : j["shards"])
    for (nlohmann::json& node : shard["nodes"]) {
      const std::string peer = node.value("peer_id", "");
      node["sessions"] = sessions.value(peer, 0);
      node["stage_ms"] = stage_ms.contains(peer) ? stage_ms[peer] : nlohmann::json();
    }
  nlohmann::json latest = series_.Latest();
  j["stats"] = {{"tokens_per_s", latest.is_null() ? 0.0 : latest.value("tokens_per_s", 0.0)},
                {"queue_depth", latest.is_null() ? 0.0 : latest.value("queue_depth", 0.0)},
                {"sessions_in_flight", metrics_.sessions_in_flight()},
                {"requests_total", metrics_.Totals().requests}};
  j["gateway"] = {{"peer_id", swarm_->identity().peer_id},
                  {"sessions_per_node", sessions},
                  {"stage_ms_per_node", stage_ms}};
  j["sessions"] = api_->Sessions();
  if (auto m = model())
    j["model"] = {{"name", m->name},
                  {"model_id", m->model_id},
                  {"n_ctx", m->n_ctx},
                  {"n_layer", m->n_layer},
                  {"chat_format", model::ChatFormatName(m->chat_format)}};
  else
    j["model"] = nullptr;
  return j;
}

std::string Gateway::MetricsText() const {
  std::ostringstream os;
  os << metrics_.Render();
  os << "# HELP shardswarm_nodes_per_shard Nodes serving each shard (online, shard loaded)\n"
        "# TYPE shardswarm_nodes_per_shard gauge\n";
  for (int k = 0; k < swarm_->total_shards(); ++k)
    os << "shardswarm_nodes_per_shard{shard=\"" << k << "\"} " << swarm_->ServingNodes(k).size() << "\n";
  os << "# HELP shardswarm_sessions_limit Generations run at once (--max-sessions); beyond: 429\n"
        "# TYPE shardswarm_sessions_limit gauge\nshardswarm_sessions_limit "
     << options_.api.max_sessions << "\n";
  os << "# HELP shardswarm_swarm_ready Whether every shard has a serving node\n"
        "# TYPE shardswarm_swarm_ready gauge\nshardswarm_swarm_ready "
     << (swarm_->Ready() ? 1 : 0) << "\n";
  return os.str();
}

}  // namespace ss::gateway
