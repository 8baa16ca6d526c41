// The client metrics' labels: an origin always with its port, and each client error's kind.
#include <asyncrest/client/metrics.hpp>

#include <doctest/doctest.h>

#include <string>
#include <system_error>

namespace ar = asyncrest;
using ar::client_errc;
using ar::detail::client_error_kind;
using ar::detail::error_kind;
using ar::detail::metric_origin;
using ar::detail::parse_url;

TEST_CASE("client metrics: an origin is scheme://host:port, the port always written") {
  CHECK(metric_origin(parse_url("http://Example.com/a?b")) == "http://example.com:80");
  CHECK(metric_origin(parse_url("https://example.com")) == "https://example.com:443");
  CHECK(metric_origin(parse_url("http://127.0.0.1:8080/x")) == "http://127.0.0.1:8080");
  CHECK(metric_origin(parse_url("https://[::1]:8443/")) == "https://[::1]:8443");

  std::string reused = "left from the last call";
  reused.clear();
  ar::detail::append_metric_origin(reused, parse_url("http://a.example:65535/"));
  CHECK(reused == "http://a.example:65535");
}

TEST_CASE("client metrics: each client error has its kind") {
  CHECK(error_kind(client_errc::connect_failed) == client_error_kind::connect);
  CHECK(error_kind(client_errc::tls_failed) == client_error_kind::tls);
  CHECK(error_kind(client_errc::tls_unavailable) == client_error_kind::tls);
  CHECK(error_kind(client_errc::connect_timeout) == client_error_kind::timeout);
  CHECK(error_kind(client_errc::read_timeout) == client_error_kind::timeout);
  CHECK(error_kind(client_errc::total_timeout) == client_error_kind::timeout);
  CHECK(error_kind(client_errc::connection_closed) == client_error_kind::connection);
  CHECK(error_kind(client_errc::malformed_response) == client_error_kind::protocol);
  CHECK(error_kind(client_errc::response_too_large) == client_error_kind::protocol);
  CHECK(error_kind(client_errc::invalid_json) == client_error_kind::protocol);
  CHECK(error_kind(client_errc::not_event_stream) == client_error_kind::protocol);
  CHECK(error_kind(client_errc::too_many_redirects) == client_error_kind::redirects);
  CHECK(error_kind(client_errc::cancelled) == client_error_kind::cancelled);
  CHECK(error_kind(client_errc::proxy_refused) == client_error_kind::proxy);
  CHECK(error_kind(client_errc::invalid_url) == client_error_kind::invalid);
  CHECK(error_kind(client_errc::invalid_request) == client_error_kind::invalid);
  // Not a client error (an exception without a code), or a code of another category.
  CHECK(error_kind(std::error_code()) == client_error_kind::other);
  CHECK(error_kind(std::make_error_code(std::errc::connection_refused)) == client_error_kind::other);

  CHECK(to_string(client_error_kind::connect) == "connect");
  CHECK(to_string(client_error_kind::other) == "other");
}
