#include "dht/discovery.h"

#include <cstdlib>
#include <future>
#include <optional>
#include <random>

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

Result<std::unique_ptr<Discovery>> Discovery::Start(const NodeIdentity& identity, const DiscoveryOptions& o) {
  for (const std::string& b : o.bootstrap) {
    std::string host, port;
    if (!SplitHostPort(b, &host, &port))
      return Status::Error("bootstrap address '" + b + "' is not HOST:PORT");
  }
  std::unique_ptr<Discovery> d(new Discovery());
  d->options_ = o;
  ::dht::DhtRunner::Config config;
  config.dht_config.node_config.network = o.swarm_key.empty() ? o.network_id : o.swarm_key.NetworkId();
  config.dht_config.node_config.is_bootstrap = o.is_bootstrap;
  config.dht_config.node_config.maintain_storage = false;
  config.dht_config.id = identity.id;
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
    d->runner_.run(config, ::dht::DhtRunner::Context{});
    d->runner_.registerType(::dht::ValueType(kRecordType, "shardswarm-record", kRecordLifetime));
  } catch (const std::exception& e) {
    // OpenDHT reports bind failures by exception; it stops here.
    return Status::Error("cannot start the DHT on " + o.bind_address + ":" + std::to_string(o.port) + ": " +
                         e.what());
  }
  if (!o.bootstrap.empty())
    d->bootstrap_thread_ = std::thread([p = d.get()] {
      NameThisThread("dht-bootstrap");
      p->BootstrapLoop();
    });
  return d;
}

Discovery::~Discovery() {
  stop_ = true;
  if (bootstrap_thread_.joinable()) bootstrap_thread_.join();
  runner_.join();
}

// Pings the bootstrap nodes quickly until the DHT has a good node, then every
// few seconds: a bootstrap restarted with an empty routing table learns of
// this node again at once, so processes that join through it later find the
// swarm (a node that only re-contacted it when it had no peers at all left a
// restarted bootstrap empty for as long as the swarm lived).
void Discovery::BootstrapLoop() {
  using Clock = std::chrono::steady_clock;
  auto next = Clock::now();
  auto alone_since = Clock::now();  // when the DHT last had no good node
  std::optional<Clock::time_point> said_alone;
  std::string where;
  for (const std::string& b : options_.bootstrap) where += (where.empty() ? "" : ", ") + b;
  while (!stop_) {
    // Say so when the bootstrap does not answer, and again every half minute.
    if (connected()) {
      if (said_alone && options_.log) options_.log("bootstrap " + where + " answers: the DHT is connected");
      said_alone.reset();
      alone_since = Clock::now();
    } else if (Clock::now() - alone_since >= kUnreachableAfter &&
               (!said_alone || Clock::now() - *said_alone >= std::chrono::seconds(30))) {
      if (options_.log)
        options_.log("bootstrap " + where + " unreachable (no DHT peer answers), retrying; a bootstrap " +
                     "with another --swarm-key, or none, does not answer either (this process: swarm key " +
                     options_.swarm_key.Name() + ")");
      said_alone = Clock::now();
    }
    if (Clock::now() >= next) {
      // A direct ping of each address: OpenDHT's bootstrap(host, port) adds to
      // a list it tries one after another (a dead first address held up the
      // live second one for seconds) and that grows with every call.
      for (const std::string& b : options_.bootstrap) {
        std::string host, port;
        SplitHostPort(b, &host, &port);
        try {
          for (const ::dht::SockAddr& a : ::dht::SockAddr::resolve(host, port)) runner_.bootstrap(a);
        } catch (const std::exception&) {  // unresolvable now: retried next round
        }
      }
      next = std::chrono::steady_clock::now() +
             (connected() ? kBootstrapPingInterval : std::chrono::milliseconds(250));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

uint16_t Discovery::port() const { return const_cast<::dht::DhtRunner&>(runner_).getBoundPort(AF_INET); }

bool Discovery::connected() const { return good_nodes() > 0; }

size_t Discovery::good_nodes() const {
  auto& r = const_cast<::dht::DhtRunner&>(runner_);  // the stats calls are not const but only read
  return r.getNodesStats(AF_INET).good_nodes + r.getNodesStats(AF_INET6).good_nodes;
}

::dht::InfoHash Discovery::Hash(const std::string& key) const {
  return InfoHash::get(options_.swarm_key.empty() ? key : options_.swarm_key.Mac("dht-key", key));
}

bool Discovery::Unseal(const ::dht::Value& v, SignedValue* out) const {
  out->data.assign(v.data.begin(), v.data.end());
  if (!options_.swarm_key.empty()) {
    auto opened = options_.swarm_key.Open(out->data);
    if (!opened.ok()) return false;
    out->data = std::move(opened.value());
  }
  out->owner = v.owner ? v.owner->getLongId().toString() : "";
  out->value_id = v.id;
  return true;
}

void Discovery::Announce(const std::string& key, const std::string& plain) {
  const std::string data = options_.swarm_key.empty() ? plain : options_.swarm_key.Seal(plain);
  auto v = std::make_shared<::dht::Value>(::dht::Blob(data.begin(), data.end()));
  // A fresh value id per announcement: OpenDHT 2.4 stops delivering edits of
  // one value id to listeners after the first (measured), while new values
  // always arrive. Old announcements expire after kRecordLifetime; readers
  // keep the newest record per peer.
  v->id = std::uniform_int_distribution<uint64_t>(1)(rng_);
  v->type = kRecordType;
  runner_.putSigned(
      Hash(key), v, [](bool) {}, /*permanent=*/false);
}

void Discovery::Listen(const std::string& key, std::function<void(const SignedValue&, bool)> cb) {
  runner_.listen(
      Hash(key),
      [this, cb = std::move(cb)](const std::vector<std::shared_ptr<::dht::Value>>& values, bool expired) {
        for (const auto& v : values) {
          SignedValue sv;
          if (!v || v->type != kRecordType || !Unseal(*v, &sv)) continue;
          // Values come from anyone on the DHT: nothing a callback does with
          // one may unwind into OpenDHT's thread.
          try {
            cb(sv, expired);
          } catch (const std::exception&) {
          }
        }
        return true;
      },
      ::dht::Value::TypeFilter(kRecordType));
}

void Discovery::Fetch(const std::string& key, std::function<void(const SignedValue&)> on_value,
                      std::function<void()> on_done) {
  runner_.get(
      Hash(key),
      ::dht::GetCallback(
          [this, on_value = std::move(on_value)](const std::vector<std::shared_ptr<::dht::Value>>& values) {
            for (const auto& v : values) {
              SignedValue sv;
              if (!v || v->type != kRecordType || !Unseal(*v, &sv)) continue;
              try {
                on_value(sv);
              } catch (const std::exception&) {
              }
            }
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
  while (!connected() && !options_.bootstrap.empty() && std::chrono::steady_clock::now() < deadline)
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
