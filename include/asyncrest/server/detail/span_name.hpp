// The name of a request's server span.
#pragma once

#include <asyncrest/server/request.hpp>

#include <string>

namespace asyncrest::detail {

/// `METHOD path`. OpenTelemetry names a server span `METHOD route-template` (`GET /users/{id}`),
/// which keeps the names few; this will use the matched route's template once the request
/// carries it, and the path stands in for it until then.
[[nodiscard]] inline std::string span_name(const request& req) {
  std::string name(req.method_name());
  name += ' ';
  name += req.raw_path();
  return name;
}

}  // namespace asyncrest::detail
