#include "swarm/liveness.h"

#include <future>

#include "net/endpoint_probe.h"
#include "util/thread_name.h"

namespace ss::swarm {

LivenessProber::LivenessProber(TargetsFn targets, ChangeFn on_change, std::chrono::milliseconds interval,
                               std::chrono::milliseconds timeout)
    : targets_(std::move(targets)), on_change_(std::move(on_change)), interval_(interval), timeout_(timeout) {
  thread_ = std::thread([this] {
    NameThisThread("liveness");
    Loop();
  });
}

LivenessProber::~LivenessProber() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

std::vector<net::ProbeResult> LivenessProber::ProbeAll(const std::vector<dht::NodeRecord>& nodes,
                                                       std::chrono::milliseconds timeout) {
  std::vector<std::future<net::ProbeResult>> pending;
  for (const dht::NodeRecord& n : nodes)
    pending.push_back(std::async(std::launch::async, [endpoint = n.rpc_endpoint, timeout] {
      return net::ProbeTls(endpoint, timeout);
    }));
  std::vector<net::ProbeResult> out;
  for (auto& p : pending) out.push_back(p.get());
  return out;
}

void LivenessProber::Loop() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (cv_.wait_for(lock, interval_, [this] { return stop_; })) return;
    }
    const std::vector<dht::NodeRecord> nodes = targets_();
    const std::vector<net::ProbeResult> results = ProbeAll(nodes, timeout_);
    std::map<std::string, Seen> now;
    for (size_t i = 0; i < nodes.size(); ++i) {
      const std::string key = nodes[i].peer_id + "@" + nodes[i].rpc_endpoint;
      const net::ProbeResult& r = results[i];
      auto before = seen_.find(key);
      const bool first = before == seen_.end();
      Seen s = first ? Seen{} : before->second;
      s.silent_rounds = r.silent ? s.silent_rounds + 1 : 0;
      const bool up = r.status.ok() || (r.silent && s.silent_rounds < kSilentRoundsForOffline);
      if (first ? !up : s.up != up) on_change_(nodes[i], up ? Status::Ok() : r.status);
      s.up = up;
      now[key] = s;
    }
    seen_ = std::move(now);
  }
}

}  // namespace ss::swarm
