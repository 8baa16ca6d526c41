// The metrics registry on one thread: series, and names Prometheus would refuse. (The exact text
// of a scrape, counters added up from two threads' cells, is in the integration metrics_test,
// which the TSan run covers.)
#include <asyncrest/server/metrics.hpp>

#include <asyncrest/server/middleware.hpp>
#include <asyncrest/server/request.hpp>
#include <asyncrest/server/response.hpp>

#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <string_view>

namespace {

namespace ar = asyncrest;

std::string refusal(auto register_metric) {
  try {
    ar::metrics_registry registry;
    register_metric(registry);
  } catch (const std::invalid_argument& error) {
    return error.what();
  }
  return "<accepted>";
}

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

}  // namespace

TEST_CASE("metrics: a series asked for twice is the same series") {
  ar::metrics_registry registry;
  const ar::counter_family family = registry.counter("twice_total", "", {"a", "b"});
  family.with("x", "y").inc();
  family.with("x", "y").inc(2);
  CHECK(contains(registry.exposition(), "twice_total{a=\"x\",b=\"y\"} 3\n"));
  CHECK_THROWS_AS((void)family.with("x"), std::invalid_argument);
}

TEST_CASE("metrics: names Prometheus would refuse are refused when registered") {
  CHECK(contains(refusal([](auto& r) { (void)r.counter("requests", ""); }), "must end in \"_total\""));
  CHECK(contains(refusal([](auto& r) { (void)r.gauge("2fast", ""); }), "is not a metric name"));
  CHECK(contains(refusal([](auto& r) { (void)r.gauge("a-b", ""); }), "is not a metric name"));
  CHECK(contains(refusal([](auto& r) { (void)r.gauge("ok", "", {"__reserved"}); }), "is not a label name"));
  CHECK(contains(refusal([](auto& r) { (void)r.gauge("ok", "", {"a", "a"}); }), "twice"));
  CHECK(contains(refusal([](auto& r) { (void)r.histogram("h", "", {"le"}); }), "cannot have a label \"le\""));
  CHECK(contains(refusal([](auto& r) { (void)r.histogram("h", "", {}, {1, 1}); }), "increasing order"));
  CHECK(contains(refusal([](auto& r) {
                   (void)r.histogram("h", "", {});
                   (void)r.gauge("h_count", "");
                 }),
                 "already registered"));
  CHECK(refusal([](auto& r) { (void)r.gauge("name:with_colon", "", {"label_1"}); }) == "<accepted>");
}

namespace {

/// A request as the server hands it to middleware, with its workspace (its context's storage).
struct hooked_request {
  ar::request req;
  ar::detail::workspace space;

  hooked_request() {
    ar::detail::request_access::reset(req, &space);
    ar::detail::request_access::fill(req, ar::method::get, "GET", "/", "/", "/", {}, {}, 1, 1, true);
  }
};

}  // namespace

// Hooks, not an around middleware: a plain handler's request takes no coroutine frame for them.
static_assert(ar::before_middleware<ar::request_metrics> && ar::after_middleware<ar::request_metrics> &&
              !ar::around_middleware<ar::request_metrics>);

TEST_CASE("request_metrics: a request is in flight from its before hook to its after hook, or to its end") {
  ar::metrics_registry registry;
  const ar::request_metrics metrics{registry};

  hooked_request answered;
  CHECK_FALSE(metrics.before(answered.req).has_value());
  CHECK(contains(registry.exposition(), "\nhttp_server_requests_in_flight 1\n"));
  ar::response res = ar::text("ok");
  metrics.after(answered.req, res);
  CHECK(contains(registry.exposition(), "\nhttp_server_requests_in_flight 0\n"));
  CHECK(contains(registry.exposition(), "http_server_requests_total{method=\"GET\",route=\"\",status=\"2xx\"} 1\n"));
  answered.space.clear_request();  // the request's end does not count it out a second time
  CHECK(contains(registry.exposition(), "\nhttp_server_requests_in_flight 0\n"));

  // A request whose after hook never runs (its coroutine abandoned) leaves with its context.
  hooked_request abandoned;
  CHECK_FALSE(metrics.before(abandoned.req).has_value());
  CHECK(contains(registry.exposition(), "\nhttp_server_requests_in_flight 1\n"));
  abandoned.space.clear_request();
  CHECK(contains(registry.exposition(), "\nhttp_server_requests_in_flight 0\n"));
  CHECK(contains(registry.exposition(), "http_server_requests_total{method=\"GET\",route=\"\",status=\"2xx\"} 1\n"));
}
