#include "dist/detail/lt_glue.h"

#include <boost/asio/ip/address.hpp>
#include <cstdlib>

namespace ss::dist::detail {

Result<lt::tcp::endpoint> ParseEndpoint(const std::string& text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size())
    return Status::InvalidArgument("peer '" + text + "' is not ip:port");
  std::string host = text.substr(0, colon);
  if (host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  char* end = nullptr;
  const long port = std::strtol(text.c_str() + colon + 1, &end, 10);
  if (*end != '\0' || port <= 0 || port > 65535)
    return Status::InvalidArgument("peer '" + text + "' has no valid port");
  boost::system::error_code ec;
  const auto addr = boost::asio::ip::make_address(host, ec);
  if (ec) return Status::InvalidArgument("peer '" + text + "': '" + host + "' is not an IP address");
  return lt::tcp::endpoint(addr, static_cast<unsigned short>(port));
}

std::string FormatEndpoint(const lt::tcp::endpoint& ep) {
  const std::string host = ep.address().to_string();
  return (ep.address().is_v6() ? "[" + host + "]" : host) + ":" + std::to_string(ep.port());
}

}  // namespace ss::dist::detail
