// Settings of an HTTP client: timeouts, pool limits, retries, redirects, TLS, a base URL and
// default fields, cookies and proxies. Aggregates, so
//
//     ar::client http{io, {.timeouts = {.total = 5s}, .retries = {.max_retries = 3}}};
//
// names only what differs from the defaults.
#pragma once

#include <asyncrest/core/headers.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace asyncrest {

class cookie_jar;  // client/cookie_jar.hpp

/// How long each part of a request may take. A zero duration means no limit.
struct client_timeouts {
  /// Name resolution, TCP connect and TLS handshake of a new connection.
  std::chrono::milliseconds connect{std::chrono::seconds(10)};
  /// The longest wait for the server to take the next bytes of the request or to send the next
  /// bytes of the response.
  std::chrono::milliseconds read{std::chrono::seconds(30)};
  /// The whole call: waiting for a pooled connection, every attempt and redirect, the backoff
  /// between retries and reading the body.
  std::chrono::milliseconds total{std::chrono::minutes(5)};
  /// The shortest pause of the client's one timeout timer, which wakes at the nearest deadline:
  /// deadlines closer together than this are handled by one wake, so a timeout may fire up to
  /// this much late. One timer per client instead of one per request keeps timer system calls
  /// off every request.
  std::chrono::milliseconds resolution{std::chrono::milliseconds(10)};
};

/// How many connections the pool keeps and for how long.
struct pool_limits {
  /// Connections open at once to one origin (scheme, host and port). Requests beyond it wait
  /// for a connection to come back.
  std::size_t max_connections_per_host = 100;
  /// Connections open at once over every origin.
  std::size_t max_connections = 1000;
  /// An idle connection is closed after this long. Servers close idle connections too; closing
  /// first avoids reusing one the server is about to drop.
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(30)};
};

/// Retries with exponential backoff and jitter. Off unless `max_retries > 0`.
struct retry_policy {
  /// Attempts after the first.
  unsigned max_retries = 0;
  /// The wait before the first retry; each later wait is `multiplier` times longer, up to
  /// `max_backoff`. Each wait is shortened by a random part of up to `jitter` of it, so clients
  /// that failed together do not retry together. A Retry-After in seconds, up to `max_backoff`,
  /// is waited for instead.
  std::chrono::milliseconds initial_backoff{std::chrono::milliseconds(100)};
  std::chrono::milliseconds max_backoff{std::chrono::seconds(5)};
  double multiplier = 2.0;
  double jitter = 0.5;
  /// Statuses worth another attempt. Connect failures, timeouts of one attempt and broken
  /// connections are always retried.
  std::vector<unsigned> retry_statuses{429, 502, 503, 504};
  /// Only GET, HEAD, PUT, DELETE and OPTIONS are retried unless this is set: a POST or PATCH
  /// repeated after a lost response may be applied twice.
  bool retry_non_idempotent = false;
};

/// Following redirects (301, 302, 303, 307, 308). Off unless `max_redirects > 0`.
struct redirect_policy {
  unsigned max_redirects = 0;
};

/// HTTPS, when asyncrest is built with asyncrest::tls. Certificates and host names are verified.
struct tls_settings {
  /// Whether to verify the server's certificate chain and host name. Turning it off lets anyone
  /// on the path read and change the traffic.
  bool verify = true;
  /// A PEM file of CA certificates trusted besides the system's default ones.
  std::string ca_file{};
};

/// HTTP proxies (see README, "Proxies"). A plain http:// request goes to the proxy with the
/// whole URL as its target; an https:// request goes through a tunnel the proxy opens with
/// CONNECT, and TLS runs end to end with the origin, whose certificate and name are verified.
struct proxy_settings {
  /// The proxy for http:// URLs: "http://[user:password@]host[:port]" (the port defaults to
  /// 80; user and password are percent-decoded and sent as Proxy-Authorization, Basic).
  std::string http{};
  /// The proxy for https:// URLs, in the same form. The proxy itself is spoken to in plain HTTP.
  std::string https{};
  /// Hosts reached directly, comma-separated: "*" for every host, a name ("example.com" or
  /// ".example.com", both covering example.com and its subdomains), an IP address (matched as
  /// written), each optionally with ":port".
  std::string no_proxy{};
  /// Whether to read http_proxy, https_proxy, all_proxy and no_proxy (lower case first, then
  /// upper case) for each of the fields above left empty. Off by default, as in aiohttp: a
  /// service's environment is often inherited from somewhere else, and a variable set there
  /// should not silently route calls between services through a third machine. HTTP_PROXY in
  /// upper case is never read in a CGI process (REQUEST_METHOD set), where a request's
  /// `Proxy:` field arrives as that variable ("httpoxy").
  bool from_environment = false;
};

struct client_settings {
  client_timeouts timeouts{};
  pool_limits pool{};
  retry_policy retries{};
  redirect_policy redirects{};
  tls_settings tls{};
  /// The response's header block, in bytes.
  std::size_t max_header_bytes = 64 * 1024;
  /// A response body read into memory, in bytes. A streamed body has no limit.
  std::size_t max_body_bytes = 64 * 1024 * 1024;
  /// Throw `http_status_error` for a 4xx or 5xx response (`try_` calls return it as an error).
  bool raise_for_status = false;
  /// Asks for compressed responses (Accept-Encoding: br, gzip, those this build decodes: link
  /// `asyncrest::brotli` and `asyncrest::zlib`) and decodes them, whole or streamed, so the body
  /// is what the server meant to send; Content-Encoding and Content-Length are then removed.
  /// The decoded body is held to `max_body_bytes`, a streamed one's pieces to 64 KiB each. Off
  /// (or off for one request, `client_request::decompress`), a body is left as it was sent.
  bool decompress = true;
  /// Sent as User-Agent unless a request sets its own.
  std::string user_agent = "asyncrest";
  /// What relative URLs given to the calls are resolved against (RFC 3986 §5.2): with
  /// "http://api.example/v1/", "users/7" is "http://api.example/v1/users/7" and "/health" is
  /// "http://api.example/health". An absolute URL given to a call is used as it is.
  std::string base_url{};
  /// Sent with every request that does not set a field of the same name itself, such as
  /// `Authorization: ar::bearer_authorization(token)` (client/authentication.hpp). As with a
  /// request's own fields, an Authorization or Cookie among them is dropped when a redirect
  /// leaves the origin.
  headers default_headers{};
  /// Cookies: a jar that stores what responses set and sends it back (client/cookie_jar.hpp).
  /// None by default: a client that calls services should not carry state between calls unless
  /// asked to. Shared, so that the program can read, save or share it; use it only from the
  /// client's executor.
  std::shared_ptr<cookie_jar> cookies{};
  proxy_settings proxy{};
};

}  // namespace asyncrest
