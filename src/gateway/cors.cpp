#include "gateway/cors.h"

#include <algorithm>

#include "gateway/openai_response.h"

namespace ss::gateway {

bool CorsPolicy::Allows(const std::string& origin) const {
  return !origin.empty() && std::find(origins_.begin(), origins_.end(), origin) != origins_.end();
}

net::HttpResponse CorsPolicy::Preflight(const net::HttpRequest& r) const {
  const std::string origin = r.Header("origin");
  net::HttpResponse response;
  if (!Allows(origin)) {
    const std::string why =
        origins_.empty()
            ? "cross-origin requests are not allowed by this gateway (start it with --cors-origin "
              "ORIGIN to allow a web site)"
            : "the origin '" + origin + "' is not allowed by this gateway's --cors-origin list";
    response.status = 403;
    response.body = ApiErrorBody(why, "permission_error", "", "cors_origin_not_allowed").dump() + "\n";
    return response;
  }
  response.status = 204;
  response.content_type = "text/plain";
  response.headers = {{"access-control-allow-origin", origin},
                      {"access-control-allow-methods", "GET, POST, OPTIONS"},
                      {"access-control-allow-headers", "Authorization, Content-Type, X-Api-Key"},
                      {"access-control-max-age", "600"},
                      {"vary", "Origin"}};
  return response;
}

void CorsPolicy::Decorate(const net::HttpRequest& r, net::HttpResponse& response) const {
  const std::string origin = r.Header("origin");
  if (!Allows(origin)) return;
  response.headers.push_back({"access-control-allow-origin", origin});
  response.headers.push_back({"access-control-expose-headers", "Retry-After, X-Shardswarm-Route"});
  response.headers.push_back({"vary", "Origin"});
}

}  // namespace ss::gateway
