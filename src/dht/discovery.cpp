#include "dht/discovery.h"

#include <opendht/dhtrunner.h>

#include <atomic>
#include <cstdlib>
#include <future>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include "util/thread_name.h"

namespace ss::dht {
namespace {

using ::dht::InfoHash;

}  // namespace

bool SplitHostPort(const std::string& s, std::string* host, std::string* port) {
  size_t colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == s.size()) return false;
  *host = s.substr(0, colon);
  *port = s.substr(colon + 1);
  if (host->size() > 2 && host->front() == '[' && host->back() == ']')
    *host = host->substr(1, host->size() - 2);
  char* end = nullptr;
  long p = std::strtol(port->c_str(), &end, 10);
  return *end == '\0' && p > 0 && p < 65536;
}

std::string ShardKey(const std::string& cluster, int shard) {
  return "shardswarm/" + cluster + "/shard/" + std::to_string(shard);
}
std::string PeerKey(const std::string& cluster, const std::string& peer_id) {
  return "shardswarm/" + cluster + "/peer/" + peer_id;
}
std::string ModelKey(const std::string& cluster) { return "shardswarm/" + cluster + "/model"; }
std::string ClientsKey(const std::string& cluster) { return "shardswarm/" + cluster + "/clients"; }
std::string ClaimsKey(const std::string& cluster) { return "shardswarm/" + cluster + "/claims"; }
std::string FileKey(const std::string& cluster, const std::string& info_hash) {
  return "shardswarm/" + cluster + "/file/" + info_hash;
}

struct Discovery::Impl {
  void BootstrapLoop();
  bool Connected() const { return GoodNodes() > 0; }
  size_t GoodNodes() const;
  InfoHash Hash(const std::string& key) const;
  // The value as its signer wrote it; false when it does not open with the swarm key.
  bool Unseal(const ::dht::Value& v, SignedValue* out) const;
  // Hands each of our records among `values` to `cb`, which must not throw into OpenDHT's thread.
  void Deliver(const std::vector<std::shared_ptr<::dht::Value>>& values,
               const std::function<void(const SignedValue&)>& cb) const;

  DiscoveryOptions options;
  mutable ::dht::DhtRunner runner;  // its stats calls are not const but only read
  std::mt19937_64 rng{std::random_device{}()};
  std::atomic<bool> stop{false};
  std::thread bootstrap_thread;
};

Discovery::Discovery(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<Discovery>> Discovery::Start(const NodeIdentity& identity, const DiscoveryOptions& o) {
  for (const std::string& b : o.bootstrap) {
    std::string host, port;
    if (!SplitHostPort(b, &host, &port))
      return Status::Error("bootstrap address '" + b + "' is not HOST:PORT");
  }
  ::dht::crypto::Identity id;
  try {
    id.first = std::make_shared<::dht::crypto::PrivateKey>(std::string_view(identity.key_pem));
    id.second = std::make_shared<::dht::crypto::Certificate>(
        ::dht::Blob(identity.cert_pem.begin(), identity.cert_pem.end()));
  } catch (const std::exception& e) {
    return Status::Error(std::string("the identity's key or certificate does not load: ") + e.what());
  }
  auto impl = std::make_unique<Impl>();
  Impl* d = impl.get();
  d->options = o;
  ::dht::DhtRunner::Config config;
  config.dht_config.node_config.network = o.swarm_key.empty() ? o.network_id : o.swarm_key.NetworkId();
  config.dht_config.node_config.is_bootstrap = o.is_bootstrap;
  config.dht_config.node_config.maintain_storage = false;
  config.dht_config.id = id;
  config.threaded = true;
  config.peer_discovery = false;  // no multicast
  config.peer_publish = false;
  try {
    auto addrs = ::dht::SockAddr::resolve(o.bind_address, std::to_string(o.port));
    if (addrs.empty()) return Status::Error("cannot resolve the bind address '" + o.bind_address + "'");
    ::dht::SockAddr bind = addrs.front();
    bind.setPort(o.port);
    // Only the configured family is bound: nothing listens beyond the bind address.
    if (bind.getFamily() == AF_INET6) {
      config.bind6 = bind;
      config.bind4.setFamily(AF_UNSPEC);
    } else {
      config.bind4 = bind;
    }
    d->runner.run(config, ::dht::DhtRunner::Context{});
    d->runner.registerType(::dht::ValueType(kRecordType, "shardswarm-record", kRecordLifetime));
  } catch (const std::exception& e) {
    // OpenDHT reports bind failures by exception; it stops here.
    return Status::Error("cannot start the DHT on " + o.bind_address + ":" + std::to_string(o.port) + ": " +
                         e.what());
  }
  if (!o.bootstrap.empty())
    d->bootstrap_thread = std::thread([d] {
      NameThisThread("dht-bootstrap");
      d->BootstrapLoop();
    });
  return std::unique_ptr<Discovery>(new Discovery(std::move(impl)));
}

Discovery::~Discovery() {
  impl_->stop = true;
  if (impl_->bootstrap_thread.joinable()) impl_->bootstrap_thread.join();
  impl_->runner.join();
}

// Pings the bootstrap nodes quickly until the DHT has a good node, then every
// few seconds: a bootstrap restarted with an empty routing table learns of
// this node again at once, so processes that join through it later find the
// swarm (a node that only re-contacted it when it had no peers at all left a
// restarted bootstrap empty for as long as the swarm lived).
void Discovery::Impl::BootstrapLoop() {
  using Clock = std::chrono::steady_clock;
  auto next = Clock::now();
  auto alone_since = Clock::now();  // when the DHT last had no good node
  std::optional<Clock::time_point> said_alone;
  std::string where;
  for (const std::string& b : options.bootstrap) where += (where.empty() ? "" : ", ") + b;
  while (!stop) {
    // Say so when the bootstrap does not answer, and again every half minute.
    if (Connected()) {
      if (said_alone && options.log) options.log("bootstrap " + where + " answers: the DHT is connected");
      said_alone.reset();
      alone_since = Clock::now();
    } else if (Clock::now() - alone_since >= kUnreachableAfter &&
               (!said_alone || Clock::now() - *said_alone >= std::chrono::seconds(30))) {
      if (options.log)
        options.log("bootstrap " + where + " unreachable (no DHT peer answers), retrying; a bootstrap " +
                    "with another --swarm-key, or none, does not answer either (this process: swarm key " +
                    options.swarm_key.Name() + ")");
      said_alone = Clock::now();
    }
    if (Clock::now() >= next) {
      // A direct ping of each address: OpenDHT's bootstrap(host, port) adds to
      // a list it tries one after another (a dead first address held up the
      // live second one for seconds) and that grows with every call.
      for (const std::string& b : options.bootstrap) {
        std::string host, port;
        SplitHostPort(b, &host, &port);
        try {
          for (const ::dht::SockAddr& a : ::dht::SockAddr::resolve(host, port)) runner.bootstrap(a);
        } catch (const std::exception&) {  // unresolvable now: retried next round
        }
      }
      next = std::chrono::steady_clock::now() +
             (Connected() ? kBootstrapPingInterval : std::chrono::milliseconds(250));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

uint16_t Discovery::port() const { return impl_->runner.getBoundPort(AF_INET); }

bool Discovery::connected() const { return impl_->Connected(); }

size_t Discovery::good_nodes() const { return impl_->GoodNodes(); }

size_t Discovery::Impl::GoodNodes() const {
  return runner.getNodesStats(AF_INET).good_nodes + runner.getNodesStats(AF_INET6).good_nodes;
}

InfoHash Discovery::Impl::Hash(const std::string& key) const {
  return InfoHash::get(options.swarm_key.empty() ? key : options.swarm_key.Mac("dht-key", key));
}

bool Discovery::Impl::Unseal(const ::dht::Value& v, SignedValue* out) const {
  out->data.assign(v.data.begin(), v.data.end());
  if (!options.swarm_key.empty()) {
    auto opened = options.swarm_key.Open(out->data);
    if (!opened.ok()) return false;
    out->data = std::move(opened.value());
  }
  out->owner = v.owner ? v.owner->getLongId().toString() : "";
  out->value_id = v.id;
  return true;
}

void Discovery::Impl::Deliver(const std::vector<std::shared_ptr<::dht::Value>>& values,
                              const std::function<void(const SignedValue&)>& cb) const {
  for (const auto& v : values) {
    SignedValue sv;
    if (!v || v->type != kRecordType || !Unseal(*v, &sv)) continue;
    // Values come from anyone on the DHT: nothing a callback does with one
    // may unwind into OpenDHT's thread.
    try {
      cb(sv);
    } catch (const std::exception&) {
    }
  }
}

void Discovery::Announce(const std::string& key, const std::string& plain) {
  const DiscoveryOptions& o = impl_->options;
  const std::string data = o.swarm_key.empty() ? plain : o.swarm_key.Seal(plain);
  auto v = std::make_shared<::dht::Value>(::dht::Blob(data.begin(), data.end()));
  // A fresh value id per announcement: OpenDHT 2.4 stops delivering edits of
  // one value id to listeners after the first (measured), while new values
  // always arrive. Old announcements expire after kRecordLifetime; readers
  // keep the newest record per peer.
  v->id = std::uniform_int_distribution<uint64_t>(1)(impl_->rng);
  v->type = kRecordType;
  impl_->runner.putSigned(
      impl_->Hash(key), v, [](bool) {}, /*permanent=*/false);
}

void Discovery::Listen(const std::string& key, std::function<void(const SignedValue&, bool)> cb) {
  impl_->runner.listen(
      impl_->Hash(key),
      [d = impl_.get(), cb = std::move(cb)](const std::vector<std::shared_ptr<::dht::Value>>& values,
                                            bool expired) {
        d->Deliver(values, [&](const SignedValue& sv) { cb(sv, expired); });
        return true;
      },
      ::dht::Value::TypeFilter(kRecordType));
}

void Discovery::Fetch(const std::string& key, std::function<void(const SignedValue&)> on_value,
                      std::function<void()> on_done) {
  impl_->runner.get(
      impl_->Hash(key),
      ::dht::GetCallback([d = impl_.get(), on_value = std::move(on_value)](
                             const std::vector<std::shared_ptr<::dht::Value>>& values) {
        d->Deliver(values, on_value);
        return true;
      }),
      [on_done = std::move(on_done)](bool) {
        try {
          on_done();
        } catch (const std::exception&) {
        }
      },
      ::dht::Value::TypeFilter(kRecordType));
}

std::vector<SignedValue> Discovery::Get(const std::string& key, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!connected() && !impl_->options.bootstrap.empty() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  auto out = std::make_shared<std::vector<SignedValue>>();
  auto mu = std::make_shared<std::mutex>();
  auto done = std::make_shared<std::promise<void>>();
  auto fut = done->get_future();
  Fetch(
      key,
      [out, mu](const SignedValue& v) {
        std::lock_guard<std::mutex> lock(*mu);
        out->push_back(v);
      },
      [done] { done->set_value(); });
  fut.wait_until(deadline);
  std::lock_guard<std::mutex> lock(*mu);
  return *out;
}

}  // namespace ss::dht
