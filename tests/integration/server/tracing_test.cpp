// Tracing over real sockets: a trace across two services (A's handler calls B with the client),
// every span posted to a collector (our own server, recording the bodies) with the right parent
// links; a caller's traceparent continued; an unsampled request exported by no one; a full queue
// that drops and counts; a collector that fails.
#include <asyncrest/asyncrest.hpp>

#include <doctest/doctest.h>
#include <simdjson.h>
#include <support/client_runner.hpp>
#include <support/raw_client.hpp>
#include <support/test_certificates.hpp>
#include <support/test_server.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace ar = asyncrest;
using ar::testing::test_server;

namespace {

/// A test OTLP endpoint: what was posted to /v1/traces, and with which Content-Type.
struct collected {
  std::mutex mutex;
  std::vector<std::string> bodies;
  std::vector<std::string> content_types;
};
collected& collector_store() {
  static collected store;
  return store;
}

auto make_collector() {
  return ar::app{ar::routes(ar::post<"/v1/traces">([](ar::request& req) {
    collected& store = collector_store();
    const std::lock_guard hold(store.mutex);
    store.bodies.emplace_back(req.body());
    store.content_types.emplace_back(req.header("Content-Type").value_or(""));
    return ar::raw_json("{}");
  }))};
}

/// One span as the collector received it.
struct received_span {
  std::string service;
  std::string trace_id;
  std::string span_id;
  std::string parent_span_id;
  std::string name;
  std::int64_t kind = 0;
  std::int64_t status = 0;
  std::map<std::string, std::string> attributes;  // every value as text
};

std::vector<received_span> received_spans() {
  std::vector<received_span> spans;
  collected& store = collector_store();
  const std::lock_guard hold(store.mutex);
  simdjson::dom::parser parser;
  for (const std::string& body : store.bodies) {
    const simdjson::dom::element root = parser.parse(body);
    for (const auto resource : root["resourceSpans"].get_array()) {
      std::string service;
      for (const auto attribute : resource["resource"]["attributes"].get_array()) {
        if (std::string_view(attribute["key"]) == "service.name")
          service = std::string_view(attribute["value"]["stringValue"]);
      }
      for (const auto scope : resource["scopeSpans"].get_array()) {
        for (const auto span : scope["spans"].get_array()) {
          received_span made;
          made.service = service;
          made.trace_id = std::string_view(span["traceId"]);
          made.span_id = std::string_view(span["spanId"]);
          std::string_view parent;
          if (span["parentSpanId"].get(parent) == simdjson::SUCCESS) made.parent_span_id = parent;
          made.name = std::string_view(span["name"]);
          made.kind = std::int64_t(span["kind"]);
          made.status = std::int64_t(span["status"]["code"]);
          for (const auto attribute : span["attributes"].get_array()) {
            const simdjson::dom::object value = attribute["value"];
            std::string text;
            for (const auto [type, content] : value) {
              if (content.is_string()) {
                text = std::string(type) + ":" + std::string(std::string_view(content));
              } else {
                text = std::string(type) + ":" + simdjson::to_string(content);
              }
            }
            made.attributes[std::string(std::string_view(attribute["key"]))] = text;
          }
          spans.push_back(std::move(made));
        }
      }
    }
  }
  return spans;
}

void clear_collected() {
  collected& store = collector_store();
  const std::lock_guard hold(store.mutex);
  store.bodies.clear();
  store.content_types.clear();
}

const received_span* find_span(const std::vector<received_span>& spans, std::string_view service, std::int64_t kind) {
  for (const received_span& span : spans)
    if (span.service == service && span.kind == kind) return &span;
  return nullptr;
}

std::atomic<std::uint16_t> service_b_port{0};

auto make_service_b(ar::tracing traced) {
  return ar::app{ar::routes(ar::get<"/b">([](ar::request& req) {
                   // What B received: the caller's traceparent, and the span B made of it.
                   const ar::span_context& span = req.context().get<ar::span_context>();
                   return ar::text(std::string(req.header("traceparent").value_or("-")) + " " +
                                   std::string(span.trace_id()) + " " + std::string(span.parent_span_id()) + " " +
                                   std::string(req.header("X-Request-Id").value_or("-")));
                 })),
                 std::move(traced)};
}

std::string service_b_url() { return "http://127.0.0.1:" + std::to_string(service_b_port.load()) + "/b"; }

auto make_service_a(ar::tracing traced) {
  return ar::app{ar::routes(
                     // The client finds the handler's span by itself.
                     ar::get<"/a">([]() -> ar::task<ar::response> {
                       ar::client http{co_await asio::this_coro::executor};
                       const ar::client_response answer = co_await http.get(service_b_url());
                       co_return ar::text(answer.body);
                     }),
                     // The span named by hand.
                     ar::get<"/explicit">([](ar::request& req) -> ar::task<ar::response> {
                       ar::client http{co_await asio::this_coro::executor};
                       ar::client_request call{ar::method::get, service_b_url()};
                       call.parent = &req.context().get<ar::span_context>();
                       const ar::client_response answer = co_await http.request(std::move(call));
                       co_return ar::text(answer.body);
                     }),
                     // Two calls, with suspensions before and between them, while other requests' handlers
                     // run on the same thread: each call must still find its own request's span.
                     ar::get<"/twice">([]() -> ar::task<ar::response> {
                       auto executor = co_await asio::this_coro::executor;
                       ar::client http{executor};
                       asio::steady_timer pause(executor, std::chrono::milliseconds(5));
                       co_await pause.async_wait(asio::use_awaitable);
                       const ar::client_response first = co_await http.get(service_b_url());
                       pause.expires_after(std::chrono::milliseconds(5));
                       co_await pause.async_wait(asio::use_awaitable);
                       const ar::client_response second = co_await http.get(service_b_url());
                       co_return ar::text(first.body + "\n" + second.body);
                     })),
                 ar::request_ids{}, std::move(traced)};
}

ar::tracing_settings settings_for(std::uint16_t collector_port, std::string service) {
  ar::tracing_settings settings;
  settings.endpoint = "http://127.0.0.1:" + std::to_string(collector_port) + "/v1/traces";
  settings.service_name = std::move(service);
  return settings;
}

std::string get(std::uint16_t port, std::string_view target, std::string_view fields = "") {
  const auto reply = ar::testing::exchange(
      port, "GET " + std::string(target) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + std::string(fields) + "\r\n");
  REQUIRE(reply.status == 200);
  return reply.body;
}

std::vector<std::string> words(std::string_view text) {
  std::vector<std::string> found;
  while (!text.empty()) {
    const auto space = text.find(' ');
    found.emplace_back(text.substr(0, space));
    if (space == std::string_view::npos) break;
    text.remove_prefix(space + 1);
  }
  return found;
}

}  // namespace

TEST_CASE("a trace across two services reaches the collector with its parent links") {
  clear_collected();
  test_server collector(make_collector);
  ar::tracing traced_a{settings_for(collector.port(), "service-a")};
  ar::tracing traced_b{settings_for(collector.port(), "service-b")};
  test_server b([&] { return make_service_b(traced_b); });
  service_b_port = b.port();
  test_server a([&] { return make_service_a(traced_a); });

  const std::string caller_trace = "0af7651916cd43dd8448eb211c80319c";
  const std::string caller_span = "b7ad6b7169203331";
  const auto reply =
      ar::testing::exchange(a.port(), "GET /a?x=1 HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(a.port()) +
                                          "\r\ntraceparent: 00-" + caller_trace + "-" + caller_span +
                                          "-01\r\ntracestate: rojo=00f067aa0ba902b7\r\n"
                                          "User-Agent: tracing-test\r\n\r\n");
  REQUIRE(reply.status == 200);
  const auto seen_by_b = words(reply.body);
  REQUIRE(seen_by_b.size() == 4);

  traced_a.flush();
  traced_b.flush();
  const auto spans = received_spans();
  REQUIRE(spans.size() == 3);
  const received_span* a_server = find_span(spans, "service-a", 2);
  const received_span* a_client = find_span(spans, "service-a", 3);
  const received_span* b_server = find_span(spans, "service-b", 2);
  REQUIRE(a_server != nullptr);
  REQUIRE(a_client != nullptr);
  REQUIRE(b_server != nullptr);

  // The caller's trace is continued, and every span is in it.
  CHECK(a_server->trace_id == caller_trace);
  CHECK(a_server->parent_span_id == caller_span);
  CHECK(a_client->trace_id == caller_trace);
  CHECK(b_server->trace_id == caller_trace);
  // A's call is a child of A's request; B's request a child of A's call.
  CHECK(a_client->parent_span_id == a_server->span_id);
  CHECK(b_server->parent_span_id == a_client->span_id);
  // B received A's trace id, and A's client span as its parent.
  CHECK(seen_by_b[0] == "00-" + caller_trace + "-" + a_client->span_id + "-01");
  CHECK(seen_by_b[1] == caller_trace);
  CHECK(seen_by_b[2] == a_client->span_id);
  // And A's request id.
  CHECK(seen_by_b[3] == *reply.header("X-Request-Id"));

  // The server span's attributes (OpenTelemetry's HTTP conventions).
  CHECK(a_server->name == "GET /a");
  CHECK(a_server->status == 0);
  CHECK(a_server->attributes.at("http.request.method") == "stringValue:GET");
  CHECK(a_server->attributes.at("url.path") == "stringValue:/a");
  CHECK(a_server->attributes.at("http.route") == "stringValue:/a");
  CHECK(a_server->attributes.at("url.scheme") == "stringValue:http");
  CHECK(a_server->attributes.at("http.response.status_code") == "intValue:200");
  CHECK(a_server->attributes.at("client.address") == "stringValue:127.0.0.1");
  CHECK(a_server->attributes.at("server.port") == "intValue:" + std::to_string(a.port()));
  CHECK(a_server->attributes.at("user_agent.original") == "stringValue:tracing-test");
  CHECK(a_server->attributes.at("network.protocol.version") == "stringValue:1.1");
  CHECK(a_server->attributes.at("http.request.header.x-request-id") == "stringValue:" + *reply.header("X-Request-Id"));
  // The client span's.
  CHECK(a_client->name == "GET");
  CHECK(a_client->attributes.at("http.request.method") == "stringValue:GET");
  CHECK(a_client->attributes.at("server.address") == "stringValue:127.0.0.1");
  CHECK(a_client->attributes.at("server.port") == "intValue:" + std::to_string(b.port()));
  CHECK(a_client->attributes.at("url.full") == "stringValue:http://127.0.0.1:" + std::to_string(b.port()) + "/b");
  CHECK(a_client->attributes.at("http.response.status_code") == "intValue:200");

  {
    collected& store = collector_store();
    const std::lock_guard hold(store.mutex);
    for (const std::string& type : store.content_types) CHECK(type == "application/json");
  }
  CHECK(traced_a.statistics().exported == 2);
  CHECK(traced_b.statistics().exported == 1);
  CHECK(traced_a.statistics().dropped == 0);
  CHECK(traced_a.statistics().failed_batches == 0);
}

TEST_CASE("without a traceparent a request starts a trace; an unsampled one is exported by no one") {
  clear_collected();
  test_server collector(make_collector);
  ar::tracing traced_a{settings_for(collector.port(), "service-a")};
  ar::tracing traced_b{settings_for(collector.port(), "service-b")};
  test_server b([&] { return make_service_b(traced_b); });
  service_b_port = b.port();
  test_server a([&] { return make_service_a(traced_a); });

  SUBCASE("a new trace") {
    const auto seen_by_b = words(get(a.port(), "/a"));
    traced_a.flush();
    traced_b.flush();
    const auto spans = received_spans();
    REQUIRE(spans.size() == 3);
    const received_span* a_server = find_span(spans, "service-a", 2);
    REQUIRE(a_server != nullptr);
    CHECK(a_server->parent_span_id.empty());
    CHECK(a_server->trace_id.size() == 32);
    CHECK(a_server->trace_id == seen_by_b[1]);
    CHECK(seen_by_b[0].ends_with("-01"));
  }
  SUBCASE("not sampled by the caller") {
    const auto seen_by_b =
        words(get(a.port(), "/a", "traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00\r\n"));
    // The ids still travel, marked not sampled.
    CHECK(seen_by_b[0].starts_with("00-0af7651916cd43dd8448eb211c80319c-"));
    CHECK(seen_by_b[0].ends_with("-00"));
    traced_a.flush();
    traced_b.flush();
    CHECK(received_spans().empty());
    CHECK(traced_a.statistics().exported == 0);
    CHECK(traced_b.statistics().exported == 0);
  }
  SUBCASE("an invalid traceparent starts a new trace") {
    const auto seen_by_b =
        words(get(a.port(), "/a", "traceparent: 00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01\r\n"));
    CHECK(seen_by_b[1] != "0af7651916cd43dd8448eb211c80319c");
    traced_a.flush();
    traced_b.flush();
    const auto spans = received_spans();
    const received_span* a_server = find_span(spans, "service-a", 2);
    REQUIRE(a_server != nullptr);
    CHECK(a_server->parent_span_id.empty());
  }
  SUBCASE("root sampling at ratio 0") {
    ar::tracing_settings none = settings_for(collector.port(), "service-c");
    none.root_sample_ratio = 0.0;
    ar::tracing traced_c{none};
    test_server c([&] { return make_service_b(traced_c); });
    const auto seen = words(get(c.port(), "/b"));
    traced_c.flush();
    CHECK(received_spans().empty());
  }
}

TEST_CASE("a full queue drops and counts; the exporter sends what is queued when it is destroyed") {
  clear_collected();
  test_server collector(make_collector);
  {
    ar::tracing_settings settings = settings_for(collector.port(), "service-b");
    settings.queue_spans = 2;
    settings.export_interval = std::chrono::hours(1);  // only a full batch or the end sends
    ar::tracing traced{settings};
    {
      test_server b([&] { return make_service_b(traced); });
      for (int request = 0; request < 5; ++request) get(b.port(), "/b");
    }
    CHECK(traced.statistics().dropped == 3);
    CHECK(traced.statistics().exported == 0);
  }  // the last copy of the middleware: its exporter sends the two spans, then stops
  CHECK(received_spans().size() == 2);
}

TEST_CASE("a batch the collector refuses is counted as failed") {
  clear_collected();
  ar::tracing_settings settings;
  settings.endpoint = "http://127.0.0.1:1/v1/traces";  // nothing listens on port 1
  settings.service_name = "service-b";
  ar::tracing traced{settings};
  test_server b([&] { return make_service_b(traced); });
  get(b.port(), "/b");
  traced.flush();
  CHECK(traced.statistics().failed_batches == 1);
  CHECK(traced.statistics().exported == 0);
}

TEST_CASE("a span named by hand on the call is its parent too") {
  clear_collected();
  test_server collector(make_collector);
  ar::tracing traced_a{settings_for(collector.port(), "service-a")};
  ar::tracing traced_b{settings_for(collector.port(), "service-b")};
  test_server b([&] { return make_service_b(traced_b); });
  service_b_port = b.port();
  test_server a([&] { return make_service_a(traced_a); });
  const auto seen_by_b = words(get(a.port(), "/explicit"));
  traced_a.flush();
  traced_b.flush();
  const auto spans = received_spans();
  REQUIRE(spans.size() == 3);
  const received_span* a_server = find_span(spans, "service-a", 2);
  const received_span* a_client = find_span(spans, "service-a", 3);
  REQUIRE(a_server != nullptr);
  REQUIRE(a_client != nullptr);
  CHECK(a_client->parent_span_id == a_server->span_id);
  CHECK(seen_by_b[2] == a_client->span_id);
}

TEST_CASE("concurrent handlers that suspend each find their own request's span") {
  clear_collected();
  test_server collector(make_collector);
  ar::tracing traced_a{settings_for(collector.port(), "service-a")};
  ar::tracing traced_b{settings_for(collector.port(), "service-b")};
  test_server b([&] { return make_service_b(traced_b); });
  service_b_port = b.port();
  test_server a([&] { return make_service_a(traced_a); });  // one thread: the handlers interleave

  constexpr int callers = 8;
  std::vector<std::string> replies(callers);
  std::vector<std::thread> threads;
  for (int caller = 0; caller < callers; ++caller) {
    threads.emplace_back([&, caller] {
      char trace[33];
      std::snprintf(trace, sizeof trace, "%032x", static_cast<unsigned>(caller + 1));
      replies[static_cast<std::size_t>(caller)] =
          ar::testing::exchange(a.port(), "GET /twice HTTP/1.1\r\nHost: a\r\ntraceparent: 00-" + std::string(trace) +
                                              "-b7ad6b7169203331-01\r\n\r\n")
              .body;
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int caller = 0; caller < callers; ++caller) {
    char trace[33];
    std::snprintf(trace, sizeof trace, "%032x", static_cast<unsigned>(caller + 1));
    const std::string& reply = replies[static_cast<std::size_t>(caller)];
    const auto line_break = reply.find('\n');
    REQUIRE(line_break != std::string::npos);
    for (const std::string_view line :
         {std::string_view(reply).substr(0, line_break), std::string_view(reply).substr(line_break + 1)}) {
      const auto seen_by_b = words(line);
      REQUIRE(seen_by_b.size() == 4);
      CHECK(seen_by_b[1] == trace);
    }
  }
  traced_a.flush();
  traced_b.flush();
  const auto spans = received_spans();
  CHECK(spans.size() == callers * 5);  // A's server span, two client spans, two of B's
  // Every client span's parent is the server span of its own trace.
  for (const received_span& span : spans) {
    if (span.kind != 3) continue;
    bool parent_in_trace = false;
    for (const received_span& other : spans)
      parent_in_trace = parent_in_trace || (other.kind == 2 && other.service == "service-a" &&
                                            other.span_id == span.parent_span_id && other.trace_id == span.trace_id);
    CHECK(parent_in_trace);
  }
}

namespace {
/// Keeps the access log's lines.
struct kept_lines {
  std::shared_ptr<std::string> into = std::make_shared<std::string>();
  std::shared_ptr<std::mutex> mutex = std::make_shared<std::mutex>();
  void write(std::string_view lines) const {
    const std::lock_guard hold(*mutex);
    into->append(lines);
  }
};
}  // namespace

TEST_CASE("the access log writes the trace id of the request's span, a new trace's too") {
  clear_collected();
  test_server collector(make_collector);
  ar::tracing traced{settings_for(collector.port(), "service-b")};
  const kept_lines lines;
  ar::access_log<kept_lines> log{{}, lines};
  test_server b([&] {
    return ar::app{ar::routes(ar::get<"/b">([](ar::request& req) {
                     return ar::text(std::string(req.context().get<ar::span_context>().trace_id()));
                   })),
                   traced, log};
  });
  const std::string trace_id = get(b.port(), "/b");  // no traceparent: a new trace
  REQUIRE(trace_id.size() == 32);
  log.flush();
  const std::lock_guard hold(*lines.mutex);
  CHECK(lines.into->find("\"trace_id\":\"" + trace_id + "\"") != std::string::npos);
}

#if defined(ASYNCREST_WITH_OPENSSL) && ASYNCREST_WITH_OPENSSL
TEST_CASE("over TLS too, a handler's call finds its request's span") {
  clear_collected();
  test_server collector(make_collector);
  ar::tracing traced_a{settings_for(collector.port(), "service-a")};
  ar::tracing traced_b{settings_for(collector.port(), "service-b")};
  test_server b([&] { return make_service_b(traced_b); });
  service_b_port = b.port();
  const ar::testing::test_certificates certificates;
  test_server a([&] { return make_service_a(traced_a); }, certificates.server_tls_settings());

  std::string seen;
  ar::client_settings settings;
  settings.tls.ca_file = certificates.ca_file();
  ar::testing::run_client(settings, [&](ar::client& http) -> ar::task<void> {
    ar::headers fields;
    fields.set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    seen = (co_await http.get("https://localhost:" + std::to_string(a.port()) + "/a", std::move(fields))).body;
  });
  const auto seen_by_b = words(seen);
  REQUIRE(seen_by_b.size() == 4);
  CHECK(seen_by_b[1] == "4bf92f3577b34da6a3ce929d0e0e4736");
  traced_a.flush();
  traced_b.flush();
  const auto spans = received_spans();
  const received_span* a_client = find_span(spans, "service-a", 3);
  REQUIRE(a_client != nullptr);
  CHECK(seen_by_b[2] == a_client->span_id);
}
#endif

namespace {

/// Calls service B from work a handler spawned on its own executor: once while the handler's
/// request lasts, once more while the next request on the same connection is handled.
struct background_calls {
  std::atomic<bool> during_done{false};
  std::atomic<bool> next_started{false};
  std::atomic<bool> later_done{false};
  std::string during;  // what B saw of the first call
  std::string later;   // and of the second
};

ar::task<void> until(const std::atomic<bool>& flag) {
  asio::steady_timer pause(co_await asio::this_coro::executor);
  while (!flag) {
    pause.expires_after(std::chrono::milliseconds(2));
    co_await pause.async_wait(asio::use_awaitable);
  }
}

ar::task<void> call_from_background(background_calls& calls) {
  ar::client http{co_await asio::this_coro::executor};
  calls.during = (co_await http.get(service_b_url())).body;
  calls.during_done = true;
  co_await until(calls.next_started);
  calls.later = (co_await http.get(service_b_url())).body;
  calls.later_done = true;
}

}  // namespace

TEST_CASE("work a handler spawns on its executor finds its own request's span, and never the next request's") {
  clear_collected();
  test_server collector(make_collector);
  ar::tracing traced_a{settings_for(collector.port(), "service-a")};
  ar::tracing traced_b{settings_for(collector.port(), "service-b")};
  test_server b([&] { return make_service_b(traced_b); });
  service_b_port = b.port();

  background_calls calls;
  test_server a([&] {
    return ar::app{ar::routes(ar::get<"/first">([&]() -> ar::task<ar::response> {
                                asio::co_spawn(co_await asio::this_coro::executor, call_from_background(calls),
                                               asio::detached);
                                co_await until(calls.during_done);
                                co_return ar::text("first");
                              }),
                              ar::get<"/second">([&]() -> ar::task<ar::response> {
                                calls.next_started = true;
                                co_await until(calls.later_done);
                                co_return ar::text("second");
                              })),
                   ar::request_ids{}, traced_a};
  });

  ar::testing::raw_client client(a.port());
  REQUIRE(client.send("GET /first HTTP/1.1\r\nHost: a\r\nX-Request-Id: first-request\r\n\r\n"));
  CHECK(client.read_response().body == "first");
  REQUIRE(client.send("GET /second HTTP/1.1\r\nHost: a\r\nX-Request-Id: second-request\r\n\r\n"));
  CHECK(client.read_response().body == "second");

  // While its request lasted, the work's call was a child of that request's span.
  const auto during = words(calls.during);
  REQUIRE(during.size() == 4);
  CHECK(during[0] != "-");
  CHECK(during[3] == "first-request");
  // Once it had ended, the work belonged to no request: its call carried no trace, and above all
  // not the next request's.
  const auto later = words(calls.later);
  REQUIRE(later.size() == 4);
  CHECK(later[0] == "-");
  CHECK(later[3] == "-");
}
