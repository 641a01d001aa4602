#include "swarm/local_swarm.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "net/http_client.h"

namespace ss::swarm {

Result<uint16_t> FreeLoopbackPort(bool udp) {
  int fd = socket(AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
  if (fd < 0) return Status::Error("cannot open a socket to find a free port");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  bool ok = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
            getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
  close(fd);
  if (!ok) return Status::Error("cannot find a free port on 127.0.0.1");
  return static_cast<uint16_t>(ntohs(a.sin_port));
}

Status LocalSwarm::Spawn(const std::string& name, std::vector<std::string> args) {
  args.insert(args.begin(), options_.binary);
  if (!options_.swarm_key_file.empty()) args.insert(args.end(), {"--swarm-key", options_.swarm_key_file});
  SS_ASSIGN_OR_RETURN(auto p, ChildProcess::Start(args, options_.work_dir + "/" + name + ".log"));
  children_.push_back({name, args, std::move(p)});
  return Status::Ok();
}

std::vector<std::string> LocalSwarm::RestartEndedNodes() {
  std::vector<std::string> lines;
  for (Child& c : children_) {
    if (!c.name.starts_with("node-") || c.restarts >= kNodeRestarts) continue;
    auto why = c.process->Ended();
    if (!why) continue;
    // A log of its own per run: the one that ended tells why.
    const std::string log =
        options_.work_dir + "/" + c.name + ".restart-" + std::to_string(c.restarts + 1) + ".log";
    auto p = ChildProcess::Start(c.args, log);
    if (!p.ok()) continue;  // Dead() reports it
    ++c.restarts;
    lines.push_back(c.name + " (pid " + std::to_string(c.process->pid()) + ") " + *why + " (log " +
                    c.process->log_path() + "); started it again, pid " + std::to_string((*p)->pid()) +
                    ", restart " + std::to_string(c.restarts) + " of " + std::to_string(kNodeRestarts) +
                    ", log " + log);
    c.process = std::move(p.value());
  }
  return lines;
}

Result<std::unique_ptr<LocalSwarm>> LocalSwarm::Start(const LocalSwarmOptions& o) {
  std::unique_ptr<LocalSwarm> s(new LocalSwarm());
  s->options_ = o;
  std::error_code ec;
  std::filesystem::create_directories(o.work_dir, ec);
  if (ec) return Status::Error("cannot create " + o.work_dir + ": " + ec.message());
  SS_ASSIGN_OR_RETURN(s->boot_port_, FreeLoopbackPort(/*udp=*/true));
  if (o.http_port != 0) {
    s->http_port_ = o.http_port;
  } else {
    SS_ASSIGN_OR_RETURN(s->http_port_, FreeLoopbackPort(/*udp=*/false));
  }
  const std::string boot = s->bootstrap(), shards = std::to_string(o.shards);
  SS_RETURN_IF_ERROR(s->Spawn(
      "bootstrap", {"bootstrap", "--port", std::to_string(s->boot_port_), "--health-port", "0", "--seed-dir",
                    o.shards_dir, "--cluster", o.cluster, "--data-dir", o.work_dir + "/bootstrap"}));
  const int nodes = std::max(o.nodes, o.shards);
  for (int k = 0; k < nodes; ++k) {
    const std::string name = "node-" + std::to_string(k);
    SS_RETURN_IF_ERROR(s->Spawn(
        name, {"node", "--bootstrap", boot, "--cluster", o.cluster, "--shard-id",
               nodes == o.shards ? std::to_string(k) : "auto", "--total-shards", shards, "--shards-dir",
               o.shards_dir, "--data-dir", o.work_dir + "/" + name, "--refresh-interval",
               std::to_string(o.refresh_s), "--threads", std::to_string(o.threads_per_node)}));
  }
  SS_RETURN_IF_ERROR(
      s->Spawn("gateway", {"gateway", "--bootstrap", boot, "--cluster", o.cluster, "--http-port",
                           std::to_string(s->http_port_), "--data-dir", o.work_dir + "/gateway"}));
  return s;
}

LocalSwarm::~LocalSwarm() { Stop(); }

std::optional<std::string> LocalSwarm::Dead() {
  for (Child& c : children_)
    if (auto why = c.process->Ended())
      return c.name + " (pid " + std::to_string(c.process->pid()) + ") " + *why + "; the end of its log (" +
             c.process->log_path() + "):\n" + c.process->LogTail(12);
  return std::nullopt;
}

Status LocalSwarm::WaitReady(std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string last = "the gateway did not answer";
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto dead = Dead()) return Status::Unavailable(*dead);
    net::HttpClientRequest r;
    r.port = http_port_;
    r.target = "/api/status";
    r.timeout = std::chrono::seconds(2);
    // The gateway inherits SHARDSWARM_API_KEY (its --api-key) from this process.
    if (const char* key = std::getenv("SHARDSWARM_API_KEY"); key && *key)
      r.headers.push_back({"authorization", std::string("Bearer ") + key});
    auto res = net::HttpFetch(r);
    if (res.ok() && res->status == 200) {
      auto j = nlohmann::json::parse(res->body, nullptr, false);
      if (j.is_object() && j.contains("swarm_ready") && j["swarm_ready"] == true && j.contains("model") &&
          !j["model"].is_null())
        return Status::Ok();
      if (j.is_object() && j.contains("blockers") && j["blockers"].is_array() && !j["blockers"].empty())
        last = j["blockers"].dump();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return Status::NotReady("the swarm was not ready within " + std::to_string(timeout.count()) +
                          " s: " + last);
}

ChildProcess* LocalSwarm::Process(const std::string& name) {
  for (auto& c : children_)
    if (c.name == name) return c.process.get();
  return nullptr;
}

void LocalSwarm::Stop() {
  // The gateway first (no new requests), the bootstrap last.
  for (auto it = children_.rbegin(); it != children_.rend(); ++it) it->process->Stop(std::chrono::seconds(5));
  children_.clear();
}

}  // namespace ss::swarm
