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
  std::string log_format = "text";
};

void RunGateway(GatewayFlags f) {
  ApplyLogFormat(f.log_format);
  if (f.forward_timeout_s < 1) Fail("--forward-timeout must be at least 1 second");
  if (f.options.api.max_sessions < 1) Fail("--max-sessions must be at least 1");
  if (f.failover_timeout_s < 0 || f.failover_timeout_s > 3600)
    Fail("--failover-timeout must be 0 to 3600 seconds");
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
  AddLogFormat(g, std::shared_ptr<std::string>(f, &f->log_format));
  g->callback([f] { RunGateway(*f); });
}

}  // namespace ss::cli
