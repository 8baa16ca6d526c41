// Metrics over real sockets: after a set of requests, /metrics has the expected series, labelled
// by route template, method and status class; a two-thread server's counts add up; the server's
// and a job queue's figures appear. And the exact text of a registry written from two threads.
#include <asyncrest/asyncrest.hpp>

#include <support/exposition_lines.hpp>
#include <support/raw_client.hpp>
#include <support/test_server.hpp>
#include <support/wait_until.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>

namespace ar = asyncrest;
using asyncrest::testing::exchange;
using asyncrest::testing::http_reply;
using asyncrest::testing::test_server;
using asyncrest::testing::wait_until;

using asyncrest::testing::has_line;
using asyncrest::testing::lines_starting;

namespace {

std::string get(std::string_view target) {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
}

auto make_routes(const ar::metrics_registry& registry) {
  return ar::routes(ar::metrics_route<"/metrics">(registry),
                    ar::get<"/users/{id:int}">([](std::int64_t id) { return ar::text("user " + std::to_string(id)); }),
                    ar::post<"/echo">([](ar::request& req) { return ar::text(std::string(req.body())); }),
                    ar::get<"/boom">([](ar::request&) -> ar::task<ar::response> {
                      throw ar::http_error(ar::status::conflict, "taken");
                      co_return ar::text("unreachable");
                    }),
                    ar::get<"/fails">([](ar::request&) -> ar::response { throw std::runtime_error("internal"); }));
}

}  // namespace

TEST_CASE("metrics: /metrics counts requests by route template, method and status class") {
  ar::metrics_registry registry;
  test_server server([&] { return ar::app{make_routes(registry), ar::request_metrics{registry}}; });
  ar::observe_server(registry, server.app());

  for (const char* id : {"1", "22", "333"})
    CHECK(exchange(server.port(), get(std::string("/users/") + id)).status == 200);
  const http_reply echoed = exchange(server.port(),
                                     "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nConnection: close\r\n\r\n"
                                     "hello");
  CHECK(echoed.body == "hello");
  CHECK(exchange(server.port(), get("/boom")).status == 409);
  CHECK(exchange(server.port(), get("/fails")).status == 500);
  CHECK(exchange(server.port(), get("/nowhere/at/all")).status == 404);
  CHECK(exchange(server.port(), get("/users/not-a-number")).status == 404);
  CHECK(exchange(server.port(), "DELETE /users/1 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").status == 405);

  REQUIRE(wait_until([&] { return server.app().statistics().open_connections == 0; }));
  const http_reply scraped = exchange(server.port(), get("/metrics"));
  REQUIRE(scraped.status == 200);
  CHECK(scraped.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
  const std::string& text = scraped.body;
  INFO(text);

  CHECK(lines_starting(text, "http_server_requests_total{") ==
        "http_server_requests_total{method=\"GET\",route=\"/users/{id:int}\",status=\"2xx\"} 3\n"
        "http_server_requests_total{method=\"POST\",route=\"/echo\",status=\"2xx\"} 1\n"
        "http_server_requests_total{method=\"GET\",route=\"/boom\",status=\"4xx\"} 1\n"
        "http_server_requests_total{method=\"GET\",route=\"/fails\",status=\"5xx\"} 1\n"
        "http_server_requests_total{method=\"GET\",route=\"\",status=\"4xx\"} 2\n"
        "http_server_requests_total{method=\"DELETE\",route=\"\",status=\"4xx\"} 1\n");
  CHECK(has_line(text, "# TYPE http_server_requests_total counter"));
  CHECK(has_line(text, "# TYPE http_server_request_duration_seconds histogram"));
  CHECK(has_line(text,
                 "http_server_request_duration_seconds_bucket{method=\"GET\",route=\"/users/{id:int}\",status=\"2xx\","
                 "le=\"+Inf\"} 3"));
  CHECK(has_line(
      text, "http_server_request_duration_seconds_count{method=\"GET\",route=\"/users/{id:int}\",status=\"2xx\"} 3"));
  CHECK(has_line(text, "http_server_request_body_bytes_total{method=\"POST\",route=\"/echo\",status=\"2xx\"} 5"));
  CHECK(has_line(text, "http_server_response_body_bytes_total{method=\"POST\",route=\"/echo\",status=\"2xx\"} 5"));
  CHECK(has_line(text,
                 "http_server_response_body_bytes_total{method=\"GET\",route=\"/users/{id:int}\",status=\"2xx\"} "
                 "21"));                                      // "user 1", "user 22", "user 333"
  CHECK(has_line(text, "http_server_requests_in_flight 1"));  // the scrape itself
  CHECK(has_line(text, "http_server_open_connections 1"));    // the scrape's connection
  CHECK(has_line(text, "http_server_accept_failures_total 0"));

  // The scrape is counted once it is answered.
  const http_reply again = exchange(server.port(), get("/metrics"));
  CHECK(has_line(again.body, "http_server_requests_total{method=\"GET\",route=\"/metrics\",status=\"2xx\"} 1"));
}

TEST_CASE("metrics: the counts of a two-thread server add up") {
  ar::metrics_registry registry;
  std::mutex mutex;
  std::set<std::thread::id> serving_threads;
  auto settings = ar::testing::test_settings();
  settings.threads = 2;
  test_server server(
      [&] {
        return ar::app{ar::routes(ar::metrics_route<"/metrics">(registry), ar::get<"/where">([&] {
                                    const std::lock_guard lock(mutex);
                                    serving_threads.insert(std::this_thread::get_id());
                                    return ar::text("here");
                                  })),
                       ar::request_metrics{registry}};
      },
      settings);

  constexpr int requests = 200;  // each on its own connection, which the kernel gives to either thread
  for (int index = 0; index < requests; ++index) REQUIRE(exchange(server.port(), get("/where")).status == 200);
  {
    const std::lock_guard lock(mutex);
    REQUIRE(serving_threads.size() == 2);  // otherwise nothing was added up
  }
  const std::string text = exchange(server.port(), get("/metrics")).body;
  INFO(text);
  CHECK(has_line(text, "http_server_requests_total{method=\"GET\",route=\"/where\",status=\"2xx\"} 200"));
  CHECK(
      has_line(text, "http_server_request_duration_seconds_count{method=\"GET\",route=\"/where\",status=\"2xx\"} 200"));
  CHECK(has_line(text, "http_server_response_body_bytes_total{method=\"GET\",route=\"/where\",status=\"2xx\"} 800"));
}

TEST_CASE("metrics: a job queue's figures, read when scraped") {
  ar::metrics_registry registry;
  ar::jobs queue{{.workers = 1}, [](ar::job_context&) -> ar::json_value { return {{"done", true}}; }};
  ar::observe_jobs(registry, queue);
  test_server server(
      [&] { return ar::app{ar::routes(ar::metrics_route<"/metrics">(registry), ar::job_routes<"/jobs">(queue))}; });
  const std::string input = R"({"n":1})";
  REQUIRE(exchange(server.port(),
                   "POST /jobs HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                   "Content-Length: " +
                       std::to_string(input.size()) + "\r\nConnection: close\r\n\r\n" + input)
              .status == 202);
  REQUIRE(wait_until([&] { return queue.counters().succeeded == 1; }));
  const std::string text = exchange(server.port(), get("/metrics")).body;
  INFO(text);
  CHECK(has_line(text, "# TYPE asyncrest_jobs_succeeded_total counter"));
  CHECK(has_line(text, "asyncrest_jobs_succeeded_total 1"));
  CHECK(has_line(text, "asyncrest_jobs_failed_total 0"));
  CHECK(has_line(text, "# TYPE asyncrest_jobs_queued gauge"));
  CHECK(has_line(text, "asyncrest_jobs_queued 0"));
}

TEST_CASE("metrics: the text exposition of a small registry, written by two threads") {
  ar::metrics_registry registry;
  const ar::counter_family requests = registry.counter("app_requests_total", "Requests.\nBy path \\ kind.", {"path"});
  const ar::gauge waiting = registry.gauge("app_waiting", "Items waiting.").with();
  const ar::histogram sizes = registry.histogram("app_size_bytes", "Sizes.", {"kind"}, {1, 2.5, 100}).with("a\"b");
  registry.gauge_function("app_temperature", "Read at scrape.", [] { return 21.5; });

  const ar::counter plain = requests.with("/plain");
  const ar::counter odd = requests.with("/odd\"\\\nx");
  const auto work = [&](int repeats) {
    for (int index = 0; index < repeats; ++index) plain.inc();
    odd.inc(3);
    waiting.add(2);
    waiting.sub(0.5);
    sizes.observe(1);  // le="1" holds 1: upper bounds are inclusive
    sizes.observe(2);
    sizes.observe(1000);  // only +Inf
  };
  std::thread first(work, 1000);
  std::thread second(work, 500);
  first.join();
  second.join();

  CHECK(registry.exposition() ==
        "# HELP app_requests_total Requests.\\nBy path \\\\ kind.\n"
        "# TYPE app_requests_total counter\n"
        "app_requests_total{path=\"/plain\"} 1500\n"
        "app_requests_total{path=\"/odd\\\"\\\\\\nx\"} 6\n"
        "# HELP app_waiting Items waiting.\n"
        "# TYPE app_waiting gauge\n"
        "app_waiting 3\n"
        "# HELP app_size_bytes Sizes.\n"
        "# TYPE app_size_bytes histogram\n"
        "app_size_bytes_bucket{kind=\"a\\\"b\",le=\"1\"} 2\n"
        "app_size_bytes_bucket{kind=\"a\\\"b\",le=\"2.5\"} 4\n"
        "app_size_bytes_bucket{kind=\"a\\\"b\",le=\"100\"} 4\n"
        "app_size_bytes_bucket{kind=\"a\\\"b\",le=\"+Inf\"} 6\n"
        "app_size_bytes_sum{kind=\"a\\\"b\"} 2006\n"
        "app_size_bytes_count{kind=\"a\\\"b\"} 6\n"
        "# HELP app_temperature Read at scrape.\n"
        "# TYPE app_temperature gauge\n"
        "app_temperature 21.5\n");
}
