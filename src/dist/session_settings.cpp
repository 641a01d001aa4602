#include "dist/detail/session_settings.h"

#include <boost/asio/ip/address.hpp>
#include <libtorrent/alert.hpp>
#include <libtorrent/fingerprint.hpp>
#include <libtorrent/session_handle.hpp>

namespace ss::dist::detail {

namespace {

std::string ListenInterface(const SessionOptions& o) {
  const bool v6 = o.listen_address.find(':') != std::string::npos;
  return (v6 ? "[" + o.listen_address + "]" : o.listen_address) + ":" + std::to_string(o.listen_port);
}

}  // namespace

lt::settings_pack MakeSettings(const SessionOptions& o) {
  lt::settings_pack sp;
  using S = lt::settings_pack;
  // Only the configured address, in and out: nothing leaves it unless asked.
  sp.set_str(S::listen_interfaces, ListenInterface(o));
  sp.set_str(S::outgoing_interfaces, o.listen_address);
  // Peers come from the swarm's own DHT records: no public DHT, no multicast
  // discovery, no port mapping on the router, no re-listening when interfaces change.
  sp.set_bool(S::enable_dht, false);
  sp.set_str(S::dht_bootstrap_nodes, "");
  sp.set_bool(S::enable_lsd, false);
  sp.set_bool(S::enable_upnp, false);
  sp.set_bool(S::enable_natpmp, false);
  sp.set_bool(S::enable_ip_notifier, false);
  // TCP only: every client we interoperate with (aria2, Transmission) speaks it,
  // and uTP's delay-based congestion control only slows down loopback and LANs.
  sp.set_bool(S::enable_incoming_utp, false);
  sp.set_bool(S::enable_outgoing_utp, false);
  // Several peers of a swarm share one address (tests, `shardswarm up`, NAT).
  sp.set_bool(S::allow_multiple_connections_per_ip, true);
  sp.set_int(S::upload_rate_limit, o.upload_rate_limit);
  sp.set_int(S::download_rate_limit, o.download_rate_limit);
  sp.set_str(S::user_agent, "shardswarm/" SHARDSWARM_VERSION);
  sp.set_str(S::peer_fingerprint, lt::generate_fingerprint("SS", 0, 1, 0));
  // Two cores are common here; libtorrent's default of 10 disk threads is for big servers.
  sp.set_int(S::aio_threads, 4);
  // Received blocks wait in memory for the disk threads: with the default
  // 1 MiB queued peers are throttled on every hiccup of the page cache. 16 MiB:
  // bench_dist (a) fetched at 1.15x (median of 5 pairs in turns, 4 ahead).
  sp.set_int(S::max_queued_disk_bytes, 16 << 20);
  // Blocks kept requested from a peer: 1 s of its rate, not 3, which is still
  // longer than any round trip the pipe has to cover. A rate-capped seeder's
  // queued requests are its pieces promised twice: with 4 fetchers at once it
  // sent 1.4 copies of the file instead of 1.75 (bench_dist (b): 0.40x a
  // central server, 0.50x with 3 s).
  sp.set_int(S::request_queue_time, 1);
  sp.set_int(S::alert_mask, lt::alert_category::error | lt::alert_category::status |
                                lt::alert_category::storage | lt::alert_category::peer |
                                lt::alert_category::connect | lt::alert_category::block_progress |
                                lt::alert_category::upload);
  // Block alerts (per-peer byte counts) arrive by the thousand per second on a
  // fast link; the default queue of 2000 would drop some between two polls.
  sp.set_int(S::alert_queue_size, 50000);
  return sp;
}

lt::ip_filter PeerClassFilter() {
  using boost::asio::ip::make_address;
  const std::uint32_t global = 1u << static_cast<std::uint32_t>(lt::session_handle::global_peer_class_id);
  const std::uint32_t local =
      global | 1u << static_cast<std::uint32_t>(lt::session_handle::local_peer_class_id);
  lt::ip_filter f;
  f.add_rule(make_address("0.0.0.0"), make_address("255.255.255.255"), global);
  for (auto [first, last] : {std::pair{"10.0.0.0", "10.255.255.255"},
                             {"172.16.0.0", "172.31.255.255"},
                             {"192.168.0.0", "192.168.255.255"},
                             {"169.254.0.0", "169.254.255.255"},
                             {"127.0.0.0", "127.255.255.255"}})
    f.add_rule(make_address(first), make_address(last), local);
  f.add_rule(make_address("::"), make_address("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), global);
  f.add_rule(make_address("::1"), make_address("::1"), local);
  f.add_rule(make_address("fe80::"), make_address("febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), local);
  return f;
}

}  // namespace ss::dist::detail
