// shardswarm gateway: the OpenAI-compatible API in front of a swarm.
#include <thread>

#include "cli/commands.h"
#include "gateway/gateway.h"
#include "util/log.h"

namespace ss::cli {
namespace {

struct GatewayFlags {
  gateway::GatewayOptions options;
  int forward_timeout_s = 60;
  double failover_timeout_s = 8;
  double read_timeout_s = 30;
  std::string log_format = "text";
};

void RunGateway(GatewayFlags f) {
  ApplyLogFormat(f.log_format);
  if (f.forward_timeout_s < 1) Fail("--forward-timeout must be at least 1 second");
  if (f.options.api.max_sessions < 1) Fail("--max-sessions must be at least 1");
  if (f.failover_timeout_s < 0 || f.failover_timeout_s > 3600)
    Fail("--failover-timeout must be 0 to 3600 seconds");
  if (f.options.tls_cert_file.empty() != f.options.tls_key_file.empty())
    Fail("--tls-cert and --tls-key go together: give both PEM files, or neither for plain HTTP");
  if (f.options.guard.max_requests_per_client < 1) Fail("--max-requests-per-client must be at least 1");
  if (f.options.api.max_prompt_tokens < 0) Fail("--max-prompt-tokens must be 0 (no limit) or more");
  if (f.options.api.max_tokens_limit < 0) Fail("--max-tokens-limit must be 0 (no limit) or more");
  if (f.read_timeout_s < 0.1 || f.read_timeout_s > 3600) Fail("--read-timeout must be 0.1 to 3600 seconds");
  if (f.options.max_body_bytes < 1024) Fail("--max-body-bytes must be at least 1024");
  for (const std::string& k : f.options.guard.api_keys)
    if (k.empty()) Fail("--api-key must not be empty");
  f.options.read_timeout = std::chrono::milliseconds(static_cast<int64_t>(f.read_timeout_s * 1000));
  f.options.api.session.step_timeout = std::chrono::seconds(f.forward_timeout_s);
  f.options.api.session.failover_deadline =
      std::chrono::milliseconds(static_cast<int64_t>(f.failover_timeout_s * 1000));
  auto g = gateway::Gateway::Start(f.options);
  if (!g.ok()) Fail(g.status().message());
  InstallStopSignals([] {});
  while (!StopRequested()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  Log("CONNECT", "gateway stopping");
  (*g)->Stop();
}

}  // namespace

void AddGatewayCommand(CLI::App& app) {
  auto f = std::make_shared<GatewayFlags>();
  gateway::GatewayOptions& o = f->options;
  CLI::App* g = app.add_subcommand("gateway", "Serve the OpenAI-compatible API through the swarm");
  g->add_option("--bootstrap", o.swarm.bootstrap, "Bootstrap HOST:PORT (repeatable)")
      ->required()
      ->envname("SHARDSWARM_BOOTSTRAP");
  g->add_option("--cluster", o.swarm.cluster, "Cluster name (the nodes' --cluster)")
      ->envname("SHARDSWARM_CLUSTER")
      ->capture_default_str();
  g->add_option("--http-addr", o.http_addr, "Address of the HTTP API (loopback by default)")
      ->envname("SHARDSWARM_HTTP_ADDR")
      ->capture_default_str();
  g->add_option("--http-port", o.http_port, "Port of the HTTP API (0: any free port)")
      ->envname("SHARDSWARM_HTTP_PORT")
      ->capture_default_str();
  g->add_option("--listen-addr", o.swarm.listen_addr, "Address for the DHT and RPC (loopback by default)")
      ->envname("SHARDSWARM_LISTEN_ADDR")
      ->capture_default_str();
  g->add_option("--data-dir", o.data_dir, "Keep the gateway's identity here (default: a new one each start)")
      ->envname("SHARDSWARM_DATA_DIR");
  g->add_option("--total-shards", o.swarm.total_shards, "Shard count (0: learn it from the records)")
      ->envname("SHARDSWARM_TOTAL_SHARDS");
  g->add_option("--refresh-interval", o.swarm.refresh_s,
                "Seconds between announcements of the gateway's record")
      ->envname("SHARDSWARM_REFRESH_INTERVAL")
      ->capture_default_str();
  g->add_option("--max-sessions", o.api.max_sessions, "Generations at once; more get 429")
      ->capture_default_str();
  g->add_option("--forward-timeout", f->forward_timeout_s, "Seconds a route may take for one step")
      ->capture_default_str();
  g->add_option("--failover-timeout", f->failover_timeout_s,
                "Seconds a generation whose node failed may wait for another route (0: fail at once)")
      ->capture_default_str();
  AddSwarmKey(g, &o.swarm.swarm_key);
  g->add_option("--api-key", o.guard.api_keys,
                "Require this API key (Authorization: Bearer KEY or X-Api-Key) on /v1, /api, /metrics and "
                "the console; repeatable. The command line is visible to other users: prefer the "
                "environment variable or --api-keys-file");
  g->add_option("--api-keys-file", o.api_keys_file,
                "Require one of the keys in FILE (one per line, # comments)");
  g->add_option("--tls-cert", o.tls_cert_file,
                "Serve HTTPS with this certificate chain (PEM; needs --tls-key)");
  g->add_option("--tls-key", o.tls_key_file, "Private key of --tls-cert (PEM)");
  g->add_option("--cors-origin", o.guard.cors_origins,
                "Let web pages of this exact origin (https://host:port) call the API; repeatable. Default: "
                "cross-origin closed");
  g->add_option("--max-requests-per-client", o.guard.max_requests_per_client,
                "Requests in progress per client (API key, else address); more get 429")
      ->capture_default_str();
  g->add_option("--max-prompt-tokens", o.api.max_prompt_tokens,
                "Longest prompt in tokens; longer gets 400 (0: the model's context)")
      ->capture_default_str();
  g->add_option("--max-tokens-limit", o.api.max_tokens_limit,
                "Largest max_tokens a request may ask for; more gets 400 (0: the model's context)")
      ->capture_default_str();
  g->add_option("--max-body-bytes", o.max_body_bytes, "Largest request body; larger gets 413")
      ->capture_default_str();
  g->add_option("--read-timeout", f->read_timeout_s,
                "Seconds a client may take to send a request's headers and body (slow clients are dropped)")
      ->capture_default_str();
  AddLogFormat(g, std::shared_ptr<std::string>(f, &f->log_format));
  g->callback([f] { RunGateway(*f); });
}

}  // namespace ss::cli
