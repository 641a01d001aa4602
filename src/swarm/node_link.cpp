#include "swarm/node_link.h"

#include "dht/discovery.h"
#include "util/hex.h"
#include "util/thread_name.h"

namespace ss::swarm {

Result<std::unique_ptr<NodeLink>> NodeLink::Connect(const dht::NodeIdentity& self, const SwarmKey& swarm_key,
                                                    const std::string& peer_id, const std::string& endpoint,
                                                    std::chrono::milliseconds timeout, MessageFn on_message,
                                                    CloseFn on_close, const std::function<void()>& retry) {
  std::string host, port;
  if (!dht::SplitHostPort(endpoint, &host, &port))
    return Status::InvalidArgument("node " + ShortId(peer_id) + " names an invalid endpoint '" + endpoint +
                                   "'");
  net::RpcClientOptions o;
  o.host = host;
  o.port = static_cast<uint16_t>(std::stoi(port));
  o.identity = {self.cert_pem, self.key_pem};
  o.expected_public_key_id = peer_id;
  o.swarm_key = swarm_key;
  o.connect_timeout = std::min<std::chrono::milliseconds>(timeout, std::chrono::seconds(5));
  auto client = net::ConnectAccepted(o, timeout, [&](const Status&) {
    if (retry) retry();
  });
  if (!client.ok())
    return Status::Unavailable("cannot reach node " + ShortId(peer_id) + " at " + endpoint + ": " +
                               client.status().message());
  std::unique_ptr<NodeLink> link(new NodeLink());
  link->peer_id_ = peer_id;
  link->client_ = std::move(client.value());
  link->on_message_ = std::move(on_message);
  link->on_close_ = std::move(on_close);
  link->reader_ = std::thread([l = link.get()] {
    NameThisThread("node-link");
    l->ReadLoop();
  });
  return link;
}

NodeLink::~NodeLink() {
  stop_ = true;
  client_->Close();
  if (reader_.joinable()) reader_.join();
}

void NodeLink::ReadLoop() {
  while (!stop_) {
    auto m = client_->ReadMessage(std::chrono::milliseconds(250));
    if (m.ok()) {
      if (on_message_) on_message_(*m);
      continue;
    }
    if (client_->connected()) {  // only a timeout
      const auto since = std::chrono::steady_clock::now().time_since_epoch() -
                         std::chrono::steady_clock::duration(last_sent_.load());
      if (since >= kKeepAlive) (void)Call({{"type", "GET_STATUS"}}, std::chrono::seconds(5));
      continue;
    }
    closed_ = true;
    if (!stop_ && on_close_ && !close_reported_.exchange(true)) on_close_(m.status().message());
    return;
  }
}

void NodeLink::Abandon(const std::string& why) {
  if (on_close_ && !close_reported_.exchange(true)) on_close_(why);
}

}  // namespace ss::swarm
