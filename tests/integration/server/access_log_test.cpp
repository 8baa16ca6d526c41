// Request ids and access logs over real sockets: one valid JSON line per request whose ids match
// the response, the combined format, levels and sampling, and a stuck sink that costs no more
// than its queue and never holds a request up.
#include <asyncrest/asyncrest.hpp>

#include <doctest/doctest.h>
#include <simdjson.h>
#include <support/raw_client.hpp>
#include <support/test_server.hpp>
#include <support/wait_until.hpp>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <regex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ar = asyncrest;
using ar::testing::raw_client;
using ar::testing::test_server;

namespace {

/// Keeps the lines it is given; can be made to wait, as a stuck disk would.
struct captured_lines {
  std::mutex mutex;
  std::condition_variable released_changed;
  std::condition_variable entered_changed;
  std::vector<std::string> lines;
  bool held = false;
  int writes_entered = 0;  // calls to write() so far, stuck or not

  void wait_for_writes_entered(int count) {
    std::unique_lock hold(mutex);
    entered_changed.wait(hold, [&] { return writes_entered >= count; });
  }

  std::vector<std::string> snapshot() {
    const std::lock_guard hold(mutex);
    return lines;
  }
};

struct capturing_sink {
  std::shared_ptr<captured_lines> into;
  void write(std::string_view batch) const {
    std::unique_lock hold(into->mutex);
    ++into->writes_entered;
    into->entered_changed.notify_all();
    into->released_changed.wait(hold, [&] { return !into->held; });
    while (!batch.empty()) {
      const auto end = batch.find('\n');
      REQUIRE(end != std::string_view::npos);  // whole lines only
      into->lines.emplace_back(batch.substr(0, end));
      batch.remove_prefix(end + 1);
    }
  }
};

auto routes() {
  return ar::routes(ar::get<"/users/{id}">([](ar::request& req, int id) {
                      const auto* known = req.context().find<ar::request_id>();
                      return ar::text(std::to_string(id) + " " + std::string(known ? known->value() : "-"));
                    }),
                    ar::post<"/echo">([](ar::request& req) { return ar::text(std::string(req.body())); }),
                    ar::get<"/boom">([](ar::request&) -> ar::response { throw std::runtime_error("boom"); }),
                    ar::get<"/later">([](ar::request&) -> ar::task<ar::response> { co_return ar::text("later"); }),
                    ar::get<"/later-boom">([](ar::request&) -> ar::task<ar::response> {
                      throw std::runtime_error("boom, later");
                      co_return ar::text("never");
                    }));
}

std::string get(std::string_view path, std::string_view extra_fields = {}) {
  return "GET " + std::string(path) + " HTTP/1.1\r\nHost: x\r\nUser-Agent: tester/1.0\r\n" + std::string(extra_fields) +
         "\r\n";
}

bool is_hex(std::string_view text) { return text.find_first_not_of("0123456789abcdef") == std::string_view::npos; }

}  // namespace

TEST_CASE("request ids: a well-formed incoming id is kept, anything else replaced, and every response echoes it") {
  auto make = [] { return ar::app{routes(), ar::request_ids{}}; };
  test_server<decltype(make)> server(make);
  raw_client client(server.port());

  REQUIRE(client.send(get("/users/7", "X-Request-Id: 0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0\r\n")));
  auto reply = client.read_response();
  CHECK(reply.body == "7 0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
  CHECK(reply.header("X-Request-Id") == "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");

  // A space, a quote, and 65 characters are not ids: each gets a new one.
  for (const std::string& bad : std::vector<std::string>{"has space", "quote\"d", std::string(65, 'a')}) {
    REQUIRE(client.send(get("/users/8", "X-Request-Id: " + bad + "\r\n")));
    reply = client.read_response();
    const std::string id = reply.header("X-Request-Id").value_or("");
    CHECK(id.size() == 32);
    CHECK(is_hex(id));
    CHECK(reply.body == "8 " + id);
  }

  // Without one: new and different each time; errors carry theirs too.
  REQUIRE(client.send(get("/users/9") + get("/users/9") + get("/nowhere") + get("/boom")));
  const auto first = client.read_response().header("X-Request-Id");
  const auto second = client.read_response().header("X-Request-Id");
  CHECK(first != second);
  const auto not_found = client.read_response();
  CHECK(not_found.status == 404);
  CHECK(not_found.header("X-Request-Id").value_or("").size() == 32);
  const auto failed = client.read_response();
  CHECK(failed.status == 500);
  CHECK(failed.header("X-Request-Id").value_or("").size() == 32);

  // A coroutine handler's answer, and its exception, get theirs after the wait.
  REQUIRE(client.send(get("/later", "X-Request-Id: after-the-wait\r\n") +
                      get("/later-boom", "X-Request-Id: failed-later\r\n")));
  const auto later = client.read_response();
  CHECK(later.body == "later");
  CHECK(later.header("X-Request-Id") == "after-the-wait");
  const auto failed_later = client.read_response();
  CHECK(failed_later.status == 500);
  CHECK(failed_later.header("X-Request-Id") == "failed-later");
}

TEST_CASE("request ids: an incoming id is not trusted when the settings say so") {
  auto make = [] { return ar::app{routes(), ar::request_ids{{.field = "X-Correlation-Id", .trust_incoming = false}}}; };
  test_server<decltype(make)> server(make);
  raw_client client(server.port());
  REQUIRE(client.send(get("/users/1", "X-Correlation-Id: chosen-by-client\r\n")));
  const auto reply = client.read_response();
  CHECK(reply.header("X-Correlation-Id").value_or("chosen-by-client") != "chosen-by-client");
  CHECK(reply.header("X-Correlation-Id").value_or("").size() == 32);
  CHECK(!reply.header("X-Request-Id"));
}

TEST_CASE("access log: one JSON line per request, its ids those of the response") {
  auto captured = std::make_shared<captured_lines>();
  std::vector<ar::testing::http_reply> replies;
  {
    auto make = [captured] {
      return ar::app{routes(), ar::request_ids{}, ar::access_log<capturing_sink>{{}, capturing_sink{captured}}};
    };
    test_server<decltype(make)> server(make);
    raw_client client(server.port());
    REQUIRE(client.send(
        get("/users/42?secret=1", "traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\n")));
    replies.push_back(client.read_response());
    REQUIRE(client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"));
    replies.push_back(client.read_response());
    REQUIRE(client.send("GET /nowhere HTTP/1.1\r\nHost: x\r\nUser-Agent: \"quoted\\\"\r\n\r\n"));
    replies.push_back(client.read_response());
    REQUIRE(client.send(get("/boom")));
    replies.push_back(client.read_response());
  }  // the app, and with it the log, is gone: every line has been written

  const auto lines = captured->snapshot();
  REQUIRE(lines.size() == 4);
  simdjson::dom::parser parser;
  for (std::size_t index = 0; index < lines.size(); ++index) {
    CAPTURE(lines[index]);
    simdjson::dom::element line;
    REQUIRE(parser.parse(lines[index]).get(line) == simdjson::SUCCESS);
    std::string_view text;
    REQUIRE(line["request_id"].get(text) == simdjson::SUCCESS);
    CHECK(text == replies[index].header("X-Request-Id").value_or(""));
    REQUIRE(line["time"].get(text) == simdjson::SUCCESS);
    CHECK(std::regex_match(std::string(text), std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));
    REQUIRE(line["client"].get(text) == simdjson::SUCCESS);
    CHECK(text == "127.0.0.1");
    std::uint64_t status = 0;
    REQUIRE(line["status"].get(status) == simdjson::SUCCESS);
    CHECK(status == static_cast<std::uint64_t>(replies[index].status));
    double duration = -1;
    REQUIRE(line["duration_ms"].get(duration) == simdjson::SUCCESS);
    CHECK(duration >= 0);
  }

  simdjson::dom::element first = parser.parse(lines[0]);
  CHECK(std::string_view(first["level"]) == "info");
  CHECK(std::string_view(first["method"]) == "GET");
  CHECK(std::string_view(first["path"]) == "/users/42");  // the query is not logged
  CHECK(std::string_view(first["route"]) == "/users/{id}");
  CHECK(std::string_view(first["user_agent"]) == "tester/1.0");
  CHECK(std::string_view(first["trace_id"]) == "0af7651916cd43dd8448eb211c80319c");
  CHECK(std::uint64_t(first["bytes_out"]) == replies[0].body.size());

  simdjson::dom::element second = parser.parse(lines[1]);
  CHECK(std::string_view(second["method"]) == "POST");
  CHECK(std::uint64_t(second["bytes_in"]) == 5);
  CHECK(second["trace_id"].error() == simdjson::NO_SUCH_FIELD);

  simdjson::dom::element third = parser.parse(lines[2]);
  CHECK(std::string_view(third["level"]) == "warning");
  CHECK(third["route"].error() == simdjson::NO_SUCH_FIELD);  // no route answered
  CHECK(std::string_view(third["user_agent"]) == "\"quoted\\\"");

  simdjson::dom::element fourth = parser.parse(lines[3]);
  CHECK(std::string_view(fourth["level"]) == "error");
}

TEST_CASE("access log: the combined format") {
  auto captured = std::make_shared<captured_lines>();
  {
    auto make = [captured] {
      return ar::app{routes(), ar::access_log<capturing_sink>{{.format = ar::access_log_format::combined},
                                                              capturing_sink{captured}}};
    };
    test_server<decltype(make)> server(make);
    raw_client client(server.port());
    REQUIRE(client.send(get("/users/5?x=\"y\"", "Referer: http://example.com/\r\n")));
    (void)client.read_response();
  }
  const auto lines = captured->snapshot();
  REQUIRE(lines.size() == 1);
  CAPTURE(lines[0]);
  CHECK(std::regex_match(lines[0], std::regex(R"(127\.0\.0\.1 - - \[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000\] )"
                                              R"("GET /users/5\?x=\\x22y\\x22 HTTP/1\.1" 200 \d+ )"
                                              R"("http://example\.com/" "tester/1\.0")")));
}

TEST_CASE("access log: levels and sampling choose the lines") {
  auto captured = std::make_shared<captured_lines>();
  {
    // Warnings and up, and (to show that sampling leaves them alone) none of the info lines.
    auto make = [captured] {
      return ar::app{routes(), ar::access_log<capturing_sink>{{.minimum_level = ar::log_level::warning, .sample = 0.0},
                                                              capturing_sink{captured}}};
    };
    test_server<decltype(make)> server(make);
    raw_client client(server.port());
    REQUIRE(client.send(get("/users/1") + get("/nowhere") + get("/users/2") + get("/boom")));
    for (int reply = 0; reply < 4; ++reply) (void)client.read_response();
  }
  auto lines = captured->snapshot();
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].find("\"status\":404") != std::string::npos);
  CHECK(lines[1].find("\"status\":500") != std::string::npos);

  captured->lines.clear();
  {
    // Sampling at zero drops every info line; warnings stay.
    auto make = [captured] {
      return ar::app{routes(), ar::access_log<capturing_sink>{{.sample = 0.0}, capturing_sink{captured}}};
    };
    test_server<decltype(make)> server(make);
    raw_client client(server.port());
    REQUIRE(client.send(get("/users/1") + get("/users/2") + get("/nowhere")));
    for (int reply = 0; reply < 3; ++reply) (void)client.read_response();
  }
  lines = captured->snapshot();
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find("\"status\":404") != std::string::npos);
}

TEST_CASE("access log: a stuck sink drops lines past the queue and never holds a request up") {
  auto captured = std::make_shared<captured_lines>();
  captured->held = true;
  ar::access_log<capturing_sink> log{{.queue_lines = 2}, capturing_sink{captured}};
  {
    auto make = [&log] { return ar::app{routes(), log}; };  // a copy: it shares the writer
    test_server<decltype(make)> server(make);
    raw_client client(server.port());
    REQUIRE(client.send(get("/users/3")));
    CHECK(client.read_response().status == 200);
    // The writer takes what is queued as one batch: wait until it holds the first line alone
    // and is stuck in the sink with it, so what follows does not depend on when it woke.
    captured->wait_for_writes_entered(1);
    for (int request = 1; request < 6; ++request) {
      REQUIRE(client.send(get("/users/3")));
      CHECK(client.read_response().status == 200);  // answered while the sink is stuck
    }
    // The writer is stuck with the first line; two more wait in the queue; three were dropped.
    CHECK(log.statistics().dropped == 3);
    CHECK(log.statistics().written == 0);
    {
      const std::lock_guard hold(captured->mutex);
      captured->held = false;
    }
    captured->released_changed.notify_all();
    log.flush();
    CHECK(log.statistics().written == 3);
    CHECK(captured->snapshot().size() == 3);
  }
}

TEST_CASE("access log: the writer takes its turn by itself, at its interval or when enough lines wait") {
  using namespace std::chrono_literals;
  auto captured = std::make_shared<captured_lines>();
  // A short interval and a queue whose wake-up mark is far: one line arrives on the timer's turn.
  ar::access_log<capturing_sink> timed{{.write_interval = 10ms}, capturing_sink{captured}};
  {
    auto make = [&timed] { return ar::app{routes(), timed}; };
    test_server<decltype(make)> server(make);
    raw_client client(server.port());
    REQUIRE(client.send(get("/users/1")));
    CHECK(client.read_response().status == 200);
    CHECK(ar::testing::wait_until([&] { return captured->snapshot().size() == 1; }));
  }

  // An interval longer than the test: a quarter of the queue's lines (2 of 8) wake the writer.
  captured = std::make_shared<captured_lines>();
  ar::access_log<capturing_sink> counted{{.queue_lines = 8, .write_interval = 1h}, capturing_sink{captured}};
  {
    auto make = [&counted] { return ar::app{routes(), counted}; };
    test_server<decltype(make)> server(make);
    raw_client client(server.port());
    REQUIRE(client.send(get("/users/1") + get("/users/2")));
    for (int reply = 0; reply < 2; ++reply) CHECK(client.read_response().status == 200);
    CHECK(ar::testing::wait_until([&] { return captured->snapshot().size() == 2; }));
    CHECK(counted.statistics().written == 2);
  }
}

TEST_CASE("access log: settings that cannot work are refused") {
  using namespace std::chrono_literals;
  CHECK_THROWS_AS(ar::access_log<>({.write_interval = 0ms}), std::invalid_argument);
  CHECK_THROWS_AS(ar::access_log<>({.queue_lines = 0}), std::invalid_argument);
  CHECK_THROWS_AS(ar::access_log<>({.sample = 1.5}), std::invalid_argument);
}
