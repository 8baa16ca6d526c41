// Settings of a server: where it listens, how many threads serve, and the limits and timeouts
// that keep a misbehaving client from costing more than it should. Aggregates, so that
//
//     app.run({.port = 8080, .limits = {.max_body_bytes = 4 << 20}});
//
// names only what differs from the defaults.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace asyncrest {

/// Sizes a request may not exceed; each is checked while the request is read, before anything
/// past the limit is buffered.
struct request_limits {
  /// The request target (path and query). Longer: 414 URI Too Long.
  std::size_t max_target_bytes = 8 * 1024;
  /// The request line and all header fields together. Larger: 431.
  std::size_t max_header_bytes = 16 * 1024;
  /// The number of header fields. More: 431.
  std::size_t max_header_count = 100;
  /// The body, decided from Content-Length or from each chunk's size. Larger: 413.
  std::size_t max_body_bytes = 1024 * 1024;
};

/// How long a connection may take over each part of its life.
struct server_timeouts {
  /// From a request's first byte to the end of its header block, in total, so that a client
  /// sending one byte at a time cannot hold a connection: 408, then the connection is closed.
  std::chrono::milliseconds header{std::chrono::seconds(10)};
  /// The longest pause while a body arrives: 408, then the connection is closed.
  std::chrono::milliseconds body_idle{std::chrono::seconds(15)};
  /// How long a connection may wait for its next request before it is closed.
  std::chrono::milliseconds keep_alive{std::chrono::seconds(30)};
  /// The longest pause while a response is being sent to a client that does not read.
  std::chrono::milliseconds write{std::chrono::seconds(30)};
  /// On shutdown, how long requests in flight may take to finish before their connections are
  /// closed anyway.
  std::chrono::milliseconds drain{std::chrono::seconds(10)};
  /// On shutdown, how long the server goes on accepting and serving as before, readiness
  /// failing (health.hpp), before the drain begins: the time a load balancer needs to see the
  /// failing readiness and send no more, so that no client meets a closed port. Zero (the
  /// default): the drain begins at once.
  std::chrono::milliseconds readiness_grace{0};
};

/// How one route takes its request body, where it differs from the server's settings:
///
///     post<"/upload">(store).body({.max_bytes = 1 << 30, .idle_timeout = 60s, .streamed = true})
///
/// Zero keeps the server's value. The route is found as soon as the request's head has arrived,
/// so its limit is the one checked against Content-Length and each chunk.
struct route_body_settings {
  /// The largest body the route accepts (413 past it), instead of `limits.max_body_bytes`.
  std::size_t max_bytes = 0;
  /// The longest pause while the route's body arrives (408), instead of `timeouts.body_idle`.
  std::chrono::milliseconds idle_timeout{0};
  /// The handler reads the body as it arrives, piece by piece, with `co_await req.read_body()`,
  /// instead of receiving it whole: an upload larger than memory works, and the request's memory
  /// holds one read's worth of it at a time. `100 Continue` is sent when the handler first
  /// reads. A body the handler leaves unread closes the connection after the response.
  bool streamed = false;
};

/// HTTPS: with a certificate chain and its key the server speaks TLS (1.2 and later, ALPN
/// "http/1.1") and only TLS on its port:
///
///     app.run({.port = 8443, .tls = {.certificate_chain_file = "/etc/ssl/example.pem",
///                                    .private_key_file = "/etc/ssl/example.key"}});
///
/// Needs OpenSSL: link `asyncrest::tls` (or `asyncrest::compiled`, which includes it when
/// OpenSSL was found); without it, `listen()` throws and says so.
struct server_tls_settings {
  /// PEM: the server's certificate first, then the intermediate certificates.
  std::string certificate_chain_file;
  /// PEM, not encrypted.
  std::string private_key_file;
  /// From accept to the end of the TLS handshake; a client that takes longer is closed.
  std::chrono::milliseconds handshake_timeout{std::chrono::seconds(10)};

  [[nodiscard]] bool enabled() const noexcept { return !certificate_chain_file.empty(); }
};

/// A running server's counters, from `app::statistics()`.
struct server_statistics {
  /// Connections open now, over all threads.
  std::size_t open_connections = 0;
  /// Connections the kernel had queued that could not be accepted (out of file descriptors, most
  /// often) since the server started. Each failure waits 50 ms before accepting again, and is
  /// logged on stderr at most every ten seconds per thread.
  std::uint64_t accept_failures = 0;
};

struct server_settings {
  /// The address to listen on: "0.0.0.0" (every IPv4 interface), "127.0.0.1", "::", ...
  std::string host = "0.0.0.0";
  /// The port; 0 picks a free one (see `app::port()`).
  std::uint16_t port = 8080;
  /// Threads serving requests, each with its own event loop and listening socket. 0: one per
  /// core.
  unsigned threads = 0;
  /// Connections open at once, over all threads. Past it, a new connection is answered with 503
  /// and closed.
  std::size_t max_connections = 10000;
  /// The listen backlog of each listening socket.
  int backlog = 1024;
  /// Whether other processes may listen on the same address and port (SO_REUSEPORT), the kernel
  /// then splitting new connections between them: for a restart without downtime, where the new
  /// copy starts before the old one stops. Off, a second copy of a service refuses to start
  /// ("address already in use") instead of silently taking half of the first one's clients.
  bool share_port_with_other_processes = false;
  /// Whether `run()` answers SIGINT and SIGTERM with a graceful shutdown (a second signal stops
  /// at once).
  bool handle_signals = true;
  request_limits limits{};
  server_timeouts timeouts{};
  server_tls_settings tls{};
};

}  // namespace asyncrest
