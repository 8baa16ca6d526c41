// Prometheus metrics of HTTP clients: the calls each origin answered, the errors, the time a
// call took and the pooled connections, in a registry (server/metrics.hpp) beside the server's.
//
//     ar::metrics_registry registry;                    // must outlive what follows
//     ar::client_metrics client_figures{registry};      // one per registry, shared by every client
//     ...
//     ar::client http{co_await asio::this_coro::executor};
//     ar::observe_client(client_figures, http);         // on the client's thread, once
//
// Each labelled `origin`, "scheme://host:port" (the port always written):
//   asyncrest_client_requests_total{origin,method,status_class}  counter: calls that ended with
//        a final response (after redirects and retries), by the call's method and the status
//        class ("2xx"); a 4xx or 5xx thrown by `raise_for_status` counts here
//   asyncrest_client_errors_total{origin,kind}                   counter: calls that ended
//        without a response, by kind: connect, tls, timeout, connection (closed before the
//        response was whole), protocol (malformed or too large), redirects (too many),
//        cancelled, proxy, invalid (a redirect to an invalid URL), other
//   asyncrest_client_request_duration_seconds{origin}             histogram: every call, from
//        its start (waiting for a connection included) to its response or its error
//   asyncrest_client_connections{origin,state}                    gauge: connections open now,
//        "idle" in the pool or "busy" (lent to a call, or being opened)
// The origin of a call is its last one: where the last redirect led, where the last attempt
// went. A streamed call (`client::stream`, and each connection of an event source) ends, here,
// when its head arrives. A call refused before it has an origin (a relative URL without a base)
// is not counted, nor a WebSocket's handshake, which does not use the pool.
//
// A client that calls arbitrary hosts must not grow the registry: the first `max_origins`
// origins seen get their own series, every later one shares origin="other".
//
// Counting takes no lock and no shared atomic: each thread writes its own cells (see
// server/metrics.hpp), and finds an origin's series in a table of its own. A lock is taken
// only when a thread meets an origin it has not seen (client_metrics' own, to admit it) or
// makes a series it has not used yet (the registry's): once per origin and thread, never once
// per call.
#pragma once

#include <asyncrest/client/client.hpp>
#include <asyncrest/client/detail/client_observer.hpp>
#include <asyncrest/client/detail/client_series.hpp>
#include <asyncrest/server/detail/per_thread.hpp>
#include <asyncrest/server/metrics.hpp>

#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_set>
#include <vector>

namespace asyncrest {

/// Settings of the client metrics.
struct client_metrics_settings {
  /// The duration histogram's buckets, in seconds.
  std::vector<double> duration_buckets = default_duration_buckets();
  /// Origins with their own series; those met later are counted as origin="other".
  std::size_t max_origins = 100;
};

/// The client series of one registry (see the top of this file). Observed clients tell it of
/// their calls and connections; it must outlive them, and their requests still in flight.
class client_metrics {
 public:
  explicit client_metrics(metrics_registry& registry, client_metrics_settings settings = {});
  client_metrics(const client_metrics&) = delete;
  client_metrics& operator=(const client_metrics&) = delete;

 private:
  friend void observe_client(client_metrics& metrics, client& http);

  static void call_ended(void* target, const detail::parsed_url& url, method verb, const status* response_status,
                         std::error_code failure, double seconds) noexcept;
  static void connections_changed(void* target, std::string_view origin, int idle_change, int busy_change) noexcept;

  [[nodiscard]] detail::client_series_table& local_table() const;
  /// The series of `origin` in this thread's `table`, found or made.
  [[nodiscard]] detail::client_origin_series& series_of(detail::client_series_table& table, std::string_view origin);
  /// The label `origin` is counted under: itself, or "other" past the limit.
  [[nodiscard]] std::string admit(std::string_view origin);

  counter_family requests_;
  counter_family errors_;
  histogram_family durations_;
  gauge_family connections_;
  std::size_t max_origins_;
  std::mutex mutex_;                          // guards admitted_; never taken for a known origin
  std::unordered_set<std::string> admitted_;  // the origins with series of their own
  detail::per_thread<detail::client_series_table> tables_;
};

/// Reports `http`'s calls and connections to `metrics`, from now on (connections already open
/// are counted at once). Call it on the client's executor, as every use of a client is, and
/// once: a client already observed throws std::logic_error.
void observe_client(client_metrics& metrics, client& http);

}  // namespace asyncrest

#include <asyncrest/client/detail/impl/metrics.ipp>
