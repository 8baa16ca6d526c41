// The real Prometheus scrapes a server's /metrics: its query API then returns the requests the
// test made, by route template; and promtool accepts the text a scrape reads.
#include <asyncrest/asyncrest.hpp>

#include <support/prometheus_server.hpp>
#include <support/raw_client.hpp>
#include <support/test_server.hpp>
#include <support/wait_until.hpp>

#include <doctest/doctest.h>
#include <simdjson.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

namespace ar = asyncrest;
using namespace std::chrono_literals;
using asyncrest::testing::http_reply;
using asyncrest::testing::prometheus_server;
using asyncrest::testing::test_server;
using asyncrest::testing::wait_until;

namespace {

std::string get(std::string_view target) {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
}

auto make_app(ar::metrics_registry& registry) {
  return ar::app{ar::routes(ar::metrics_route<"/metrics">(registry),
                            ar::get<"/users/{id:int}">([](std::int64_t id) { return ar::text(std::to_string(id)); }),
                            ar::post<"/users">([] { return ar::text("made", ar::status::created); })),
                 ar::request_metrics{registry}};
}

/// The value Prometheus has for http_server_requests_total of GET /users/{id:int} 2xx, or empty.
std::string queried_user_requests(std::uint16_t prometheus_port) {
  // http_server_requests_total{route="/users/{id:int}",method="GET",status="2xx"}, encoded
  const std::string query =
      "/api/v1/query?query=http_server_requests_total%7Broute%3D%22%2Fusers%2F%7Bid%3Aint%7D%22%2C"
      "method%3D%22GET%22%2Cstatus%3D%222xx%22%7D";
  http_reply reply;
  try {
    reply = ar::testing::exchange(prometheus_port, get(query));
  } catch (const std::exception&) {
    return {};
  }
  if (reply.status != 200) return {};
  simdjson::dom::parser parser;
  simdjson::dom::element document;
  if (parser.parse(reply.body).get(document) != simdjson::SUCCESS) return {};
  simdjson::dom::array results;
  if (document["data"]["result"].get_array().get(results) != simdjson::SUCCESS || results.size() != 1) return {};
  std::string_view value;
  if (results.at(0)["value"].at(1).get_string().get(value) != simdjson::SUCCESS) return {};
  return std::string(value);
}

}  // namespace

TEST_CASE("prometheus: promtool accepts the text of a scrape") {
  if (!prometheus_server::installed()) {
    MESSAGE("skipped: prometheus is not installed (cmake/install-dependencies.sh installs it)");
    return;
  }
  ar::metrics_registry registry;
  const ar::histogram_family sizes =
      registry.histogram("app_upload_size_bytes", "Upload sizes.\nIn bytes.", {"kind"}, {1024, 1048576});
  sizes.with("odd \"kind\" \\ with\nnewline").observe(2000);
  registry.gauge("app_queue_depth", "Items queued.").with().add(3);
  test_server server([&] { return make_app(registry); });
  ar::observe_server(registry, server.app());
  CHECK(ar::testing::exchange(server.port(), get("/users/7")).status == 200);
  CHECK(ar::testing::exchange(server.port(), get("/nowhere")).status == 404);

  const std::string text = ar::testing::exchange(server.port(), get("/metrics")).body;
  const std::pair<int, std::string> checked = prometheus_server::check_metrics(text);
  const std::string& output = checked.second;  // a variable, not a binding: clang 14 captures no bindings
  INFO(text);
  INFO(output);
  CHECK(checked.first == 0);
  CHECK(output.find("error") == std::string::npos);
}

TEST_CASE("prometheus: the real server scrapes /metrics and its query API returns the series") {
  if (!prometheus_server::installed()) {
    MESSAGE("skipped: prometheus is not installed (cmake/install-dependencies.sh installs it)");
    return;
  }
  ar::metrics_registry registry;
  test_server server([&] { return make_app(registry); });
  for (const char* id : {"1", "2", "3"})
    REQUIRE(ar::testing::exchange(server.port(), get(std::string("/users/") + id)).status == 200);

  prometheus_server prometheus(server.port());
  // Scraped every second: bounded polling until the first scrape has been stored and is served.
  std::string value;
  const bool found = wait_until(
      [&] {
        value = queried_user_requests(prometheus.port());
        if (value.empty()) std::this_thread::sleep_for(200ms);
        return !value.empty();
      },
      60s);
  INFO(prometheus.log());
  REQUIRE(found);
  CHECK(value == "3");
}
