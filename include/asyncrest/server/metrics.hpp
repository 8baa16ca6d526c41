// Prometheus metrics: a registry of counters, gauges and histograms, a middleware that measures
// every request, and a route that serves them in the text exposition format (version 0.0.4).
//
//     ar::metrics_registry registry;                        // must outlive the app
//     ar::counter signups = registry.counter("shop_signups_total", "Accounts created.").with();
//     auto routes = ar::routes(ar::metrics_route<"/metrics">(registry), ...);
//     ar::app app{routes, ar::request_metrics{registry}};
//     ar::observe_server(registry, app);                   // open connections, failed accepts
//
// Each thread writes its own cells and a scrape adds them up, so counting takes no lock and no
// shared atomic on the request path: a relaxed load and store of the thread's own cell. A
// thread finds its cells the first time it touches a registry (under the registry's lock, once
// per thread), and the request middleware finds a route's series the first time a thread sees
// that route, method and status class (the same lock, once each).
//
// What request_metrics records, each labelled `method` ("GET"), `route` (the route template,
// "/users/{id:int}", empty when no route matched) and `status` ("2xx"):
//   http_server_requests_total                  counter
//   http_server_request_duration_seconds        histogram, from the middleware's start to the
//                                               response being returned to it
//   http_server_request_body_bytes_total        counter, request bodies read whole (a body the
//                                               route streams counts its Content-Length)
//   http_server_response_body_bytes_total       counter, response bodies in memory (a file or a
//                                               stream is not counted)
// and, without labels, http_server_requests_in_flight (gauge). observe_server adds
// http_server_open_connections (gauge) and http_server_accept_failures_total; observe_jobs a job
// queue's asyncrest_jobs_* figures.
//
// Labels are for values with few possibilities: every label set is a series that lives as long
// as the registry. A registry holds at most 65536 cells (a counter or a gauge takes one, a
// histogram its buckets plus two); a series past that is refused (std::length_error).
#pragma once

#include <asyncrest/core/task.hpp>
#include <asyncrest/server/detail/metric_cells.hpp>
#include <asyncrest/server/detail/metric_text.hpp>
#include <asyncrest/server/fixed_string.hpp>
#include <asyncrest/server/middleware.hpp>
#include <asyncrest/server/request.hpp>
#include <asyncrest/server/response.hpp>
#include <asyncrest/server/route.hpp>

#include <atomic>
#include <charconv>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace asyncrest {

class metrics_registry;

namespace detail {
enum class metric_kind : std::uint8_t { counter, gauge, histogram };
struct metric_family;
}  // namespace detail

/// The Content-Type of the text exposition format.
inline constexpr std::string_view prometheus_content_type = "text/plain; version=0.0.4; charset=utf-8";

/// Request durations in seconds, from half a millisecond to ten seconds: a fast service's
/// answers fall in the first buckets, a slow dependency's in the last.
[[nodiscard]] inline std::vector<double> default_duration_buckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

/// A counter's series: a value that only grows. Copy it freely; use it from any thread.
class counter {
 public:
  /// Adds `amount` to this thread's cell.
  void inc(std::uint64_t amount = 1) const;

 private:
  friend class counter_family;
  counter(metrics_registry* registry, std::uint32_t cell) noexcept : registry_(registry), cell_(cell) {}
  metrics_registry* registry_;
  std::uint32_t cell_;
};

/// A gauge's series: a value that goes up and down (items in a cache, requests waiting). Each
/// thread adds to its own cell and the scrape sums them, so a gauge is moved, not set; for a
/// value read from somewhere else, register a function (`metrics_registry::gauge_function`).
class gauge {
 public:
  void add(double amount) const;
  void sub(double amount) const { add(-amount); }

 private:
  friend class gauge_family;
  gauge(metrics_registry* registry, std::uint32_t cell) noexcept : registry_(registry), cell_(cell) {}
  metrics_registry* registry_;
  std::uint32_t cell_;
};

/// A histogram's series: observations counted into buckets, with their sum.
class histogram {
 public:
  void observe(double value) const;

 private:
  friend class histogram_family;
  histogram(metrics_registry* registry, const detail::metric_family* family, std::uint32_t cell) noexcept
      : registry_(registry), family_(family), cell_(cell) {}
  metrics_registry* registry_;
  const detail::metric_family* family_;
  std::uint32_t cell_;
};

/// A metric's name, help and label names; `with(values...)` gives the series for one set of
/// label values, made the first time it is asked for. Finding a series takes the registry's
/// lock: find it once and keep it.
class counter_family {
 public:
  template <class... Values>
  [[nodiscard]] counter with(const Values&... values) const {
    static_assert((std::convertible_to<const Values&, std::string_view> && ...),
                  "asyncrest: with(...) takes one label value (a string) per label name");
    return counter(registry_, first_cell({std::string_view(values)...}));
  }

 private:
  friend class metrics_registry;
  counter_family(metrics_registry* registry, detail::metric_family* family) noexcept
      : registry_(registry), family_(family) {}
  [[nodiscard]] std::uint32_t first_cell(std::vector<std::string_view> values) const;
  metrics_registry* registry_;
  detail::metric_family* family_;
};

class gauge_family {
 public:
  template <class... Values>
  [[nodiscard]] gauge with(const Values&... values) const {
    static_assert((std::convertible_to<const Values&, std::string_view> && ...),
                  "asyncrest: with(...) takes one label value (a string) per label name");
    return gauge(registry_, first_cell({std::string_view(values)...}));
  }

 private:
  friend class metrics_registry;
  gauge_family(metrics_registry* registry, detail::metric_family* family) noexcept
      : registry_(registry), family_(family) {}
  [[nodiscard]] std::uint32_t first_cell(std::vector<std::string_view> values) const;
  metrics_registry* registry_;
  detail::metric_family* family_;
};

class histogram_family {
 public:
  template <class... Values>
  [[nodiscard]] histogram with(const Values&... values) const {
    static_assert((std::convertible_to<const Values&, std::string_view> && ...),
                  "asyncrest: with(...) takes one label value (a string) per label name");
    return histogram(registry_, family_, first_cell({std::string_view(values)...}));
  }

 private:
  friend class metrics_registry;
  histogram_family(metrics_registry* registry, detail::metric_family* family) noexcept
      : registry_(registry), family_(family) {}
  [[nodiscard]] std::uint32_t first_cell(std::vector<std::string_view> values) const;
  metrics_registry* registry_;
  detail::metric_family* family_;
};

/// The metrics of a program, and their text for a scrape. Names and label names follow
/// Prometheus' rules (a counter's name ends in `_total`; a histogram has no label `le`); a name
/// that breaks them, or one already registered, throws std::invalid_argument. The registry must
/// outlive every series, middleware and route made from it.
class metrics_registry {
 public:
  metrics_registry();
  metrics_registry(const metrics_registry&) = delete;
  metrics_registry& operator=(const metrics_registry&) = delete;
  ~metrics_registry();

  [[nodiscard]] counter_family counter(std::string name, std::string help, std::vector<std::string> label_names = {});
  [[nodiscard]] gauge_family gauge(std::string name, std::string help, std::vector<std::string> label_names = {});
  /// `buckets`: the upper bounds, increasing; the +Inf bucket is added.
  [[nodiscard]] histogram_family histogram(std::string name, std::string help,
                                           std::vector<std::string> label_names = {},
                                           std::vector<double> buckets = default_duration_buckets());

  /// A counter or gauge whose value another component keeps (a job queue's totals, the open
  /// connections): `read` is called at each scrape, on the scraping thread, under the
  /// registry's lock (so it must not use the registry).
  void counter_function(std::string name, std::string help, std::function<double()> read);
  void gauge_function(std::string name, std::string help, std::function<double()> read);

  /// Every metric in the text exposition format, version 0.0.4, in the order registered.
  [[nodiscard]] std::string exposition() const;

 private:
  friend class asyncrest::counter;
  friend class asyncrest::gauge;
  friend class asyncrest::histogram;
  friend class counter_family;
  friend class gauge_family;
  friend class histogram_family;
  friend class request_metrics;

  detail::metric_family& add_family(detail::metric_kind kind, std::string name, std::string help,
                                    std::vector<std::string> label_names, std::vector<double> buckets,
                                    std::function<double()> read);
  /// This thread's cells, made the first time it asks.
  [[nodiscard]] detail::metric_shard& local_shard();
  /// The first cell of the series of `family` with these label values, made if new.
  [[nodiscard]] std::uint32_t series_cell(detail::metric_family& family, const std::vector<std::string_view>& values);
  [[nodiscard]] std::uint32_t series_cell_locked(detail::metric_family& family,
                                                 const std::vector<std::string_view>& values);

  const std::uint64_t id_;
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<detail::metric_family>> families_;
  std::vector<std::unique_ptr<detail::metric_shard>> shards_;
  std::uint32_t next_cell_ = 0;
};

/// Settings of the request middleware.
struct request_metrics_settings {
  /// The duration histogram's buckets, in seconds.
  std::vector<double> duration_buckets = default_duration_buckets();
};

/// The middleware that measures every request (see the top of this file). Give it to the app
/// first, so that its duration covers the other middleware too. One per registry, and one on a
/// request's way (its start is kept in the request's context, one value per type).
///
/// Before and after hooks, not an around middleware: a plain handler's request then takes no
/// coroutine frame for its measurement.
class request_metrics {
 public:
  explicit request_metrics(metrics_registry& registry, request_metrics_settings settings = {});

  /// Notes the start and counts the request in flight.
  std::optional<response> before(request& req) const;
  /// Records the request; it is no longer in flight.
  void after(const request& req, response& res) const;

 private:
  void record(detail::metric_shard& shard, const request& req, const response& res, double seconds) const;

  metrics_registry* registry_;
  detail::metric_family* requests_;
  detail::metric_family* durations_;
  detail::metric_family* request_bytes_;
  detail::metric_family* response_bytes_;
  std::uint32_t in_flight_cell_;
};

/// A GET route that answers with the registry's metrics, for Prometheus to scrape.
template <fixed_string Path>
[[nodiscard]] auto metrics_route(const metrics_registry& registry) {
  return get<Path>([&registry](request&) {
    response answer = text(registry.exposition());
    answer.headers.set("Content-Type", prometheus_content_type);
    return answer;
  });
}

/// Adds the server's own figures: http_server_open_connections (gauge) and
/// http_server_accept_failures_total. `app` must outlive the registry's scrapes.
template <class App>
void observe_server(metrics_registry& registry, const App& app) {
  static_assert(
      requires {
        app.statistics().open_connections;
        app.statistics().accept_failures;
      },
      "asyncrest: observe_server(registry, app) takes an asyncrest::app");
  registry.gauge_function("http_server_open_connections", "Connections open now, over all threads.",
                          [&app] { return static_cast<double>(app.statistics().open_connections); });
  registry.counter_function("http_server_accept_failures_total",
                            "Connections the server could not accept (out of file descriptors, most often).",
                            [&app] { return static_cast<double>(app.statistics().accept_failures); });
}

/// Adds a job queue's figures (asyncrest::jobs, or anything with the same `counters()`):
/// asyncrest_jobs_queued and _running (gauges), _succeeded_total, _failed_total,
/// _cancelled_total, _rejected_total, and the seconds jobs waited and ran, summed
/// (_wait_seconds_total, _run_seconds_total). `queue` must outlive the registry's scrapes.
template <class Queue>
void observe_jobs(metrics_registry& registry, const Queue& queue, std::string_view prefix = "asyncrest_jobs") {
  static_assert(
      requires {
        queue.counters().queued;
        queue.counters().succeeded;
        queue.counters().total_run;
      },
      "asyncrest: observe_jobs(registry, queue) takes an asyncrest::jobs queue");
  const std::string name(prefix);
  const auto figure = [&queue](auto member) {
    return [&queue, member] { return static_cast<double>(queue.counters().*member); };
  };
  using counters = decltype(queue.counters());
  registry.gauge_function(name + "_queued", "Jobs waiting for a worker.", figure(&counters::queued));
  registry.gauge_function(name + "_running", "Jobs running now.", figure(&counters::running));
  registry.counter_function(name + "_succeeded_total", "Jobs that succeeded.", figure(&counters::succeeded));
  registry.counter_function(name + "_failed_total", "Jobs that failed.", figure(&counters::failed));
  registry.counter_function(name + "_cancelled_total", "Jobs cancelled.", figure(&counters::cancelled));
  registry.counter_function(name + "_rejected_total", "Jobs refused: the queue was full or closing.",
                            figure(&counters::rejected));
  registry.counter_function(name + "_wait_seconds_total", "Seconds jobs waited from submission to start, summed.",
                            [&queue] { return std::chrono::duration<double>(queue.counters().total_wait).count(); });
  registry.counter_function(name + "_run_seconds_total", "Seconds jobs ran, summed.",
                            [&queue] { return std::chrono::duration<double>(queue.counters().total_run).count(); });
}

}  // namespace asyncrest

#include <asyncrest/server/detail/impl/metrics.ipp>
