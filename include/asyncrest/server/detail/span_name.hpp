// The name of a request's server span.
#pragma once

#include <asyncrest/server/request.hpp>

#include <string>

namespace asyncrest::detail {

/// `METHOD route-template` (`GET /users/{id}`), as OpenTelemetry names a server span, which
/// keeps the names few; `METHOD` alone when no route answered (a 404 has no template, and its
/// path is the client's to choose).
[[nodiscard]] inline std::string span_name(const request& req) {
  std::string name(req.method_name());
  if (const std::string_view route = req.route_template(); !route.empty()) {
    name += ' ';
    name += route;
  }
  return name;
}

}  // namespace asyncrest::detail
