// Taking over a connection after 101, over real sockets, with a line-echo protocol: the bytes
// sent right behind the request reach the session, the connection still counts against the
// limit, and a drain tells the session to stop and closes it at the deadline.
#include <asyncrest/asyncrest.hpp>

#include <doctest/doctest.h>
#include <support/raw_client.hpp>
#include <support/test_server.hpp>
#include <support/wait_until.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <thread>

namespace ar = asyncrest;
using namespace std::chrono_literals;
using ar::testing::http_reply;
using ar::testing::raw_client;
using ar::testing::test_server;
using ar::testing::wait_until;

namespace {

using steady = std::chrono::steady_clock;

struct probe {
  std::atomic<int> sessions_started{0};
  std::atomic<int> sessions_ended{0};
  std::atomic<bool> saw_stop{false};
};

/// Echoes each line back as "echo: <line>"; answers "bye" and ends when the server stops (or
/// ignores the stop, for the drain deadline's test).
ar::task<void> echo_lines(ar::upgraded_connection& peer, probe& state, bool obey_stop) {
  ++state.sessions_started;
  std::string pending;
  std::array<char, 512> bytes;
  for (;;) {
    const std::size_t received = co_await peer.read_some(bytes);
    if (received == 0) {
      if (peer.stop_requested()) {
        state.saw_stop = true;
        if (obey_stop) {
          co_await peer.write("bye\n");
          break;
        }
        continue;  // reads again, until the drain deadline closes the connection
      }
      break;
    }
    pending.append(bytes.data(), received);
    for (std::size_t end; (end = pending.find('\n')) != std::string::npos;) {
      const std::string line = pending.substr(0, end);
      pending.erase(0, end + 1);
      if (!co_await peer.write("echo: " + line + "\n")) co_return;
    }
  }
  ++state.sessions_ended;
}

auto make_app(probe& state) {
  probe* const p = &state;
  return ar::app{ar::routes(
      ar::get<"/echo">([p](ar::request& req) {
        if (req.header("Upgrade") != "line-echo") {
          throw ar::http_error(ar::status::upgrade_required, "this route speaks line-echo");
        }
        ar::response answer =
            ar::upgrade("line-echo", [p](ar::upgraded_connection& peer) { return echo_lines(peer, *p, true); });
        answer.headers.set("Line-Echo-Version", "1");
        return answer;
      }),
      ar::get<"/ignores-stop">([p](ar::request&) {
        return ar::upgrade("line-echo", [p](ar::upgraded_connection& peer) { return echo_lines(peer, *p, false); });
      }),
      ar::get<"/text">([](ar::request&) { return ar::text("plain"); }))};
}

struct app_factory {
  probe* state;
  auto operator()() const { return make_app(*state); }
};
using server_type = test_server<app_factory>;

const std::string upgrade_request =
    "GET /echo HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: line-echo\r\n\r\n";

}  // namespace

TEST_CASE("a 101 hands the connection to the session, with the bytes sent behind the request") {
  probe state;
  server_type server(app_factory{&state});
  raw_client client(server.port());
  // The first line travels with the request, in the same write: the server read it already.
  REQUIRE(client.send(upgrade_request + "hello\n"));
  const http_reply reply = client.read_response(true);
  CHECK(reply.status == 101);
  CHECK(reply.header("Upgrade") == "line-echo");
  CHECK(reply.header("Connection") == "Upgrade");
  CHECK(reply.header("Line-Echo-Version") == "1");
  CHECK_FALSE(reply.header("Content-Length"));
  CHECK(client.read_line() == "echo: hello\n");
  REQUIRE(client.send("second\nthi"));
  CHECK(client.read_line() == "echo: second\n");
  REQUIRE(client.send("rd\n"));
  CHECK(client.read_line() == "echo: third\n");
  client.shutdown_send();
  CHECK(client.closed_by_server());
  CHECK(wait_until([&] { return state.sessions_ended == 1; }));
}

TEST_CASE("a request that cannot upgrade gets an answer, not a 101") {
  probe state;
  server_type server(app_factory{&state});
  {
    raw_client client(server.port());
    REQUIRE(client.send("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n"));
    CHECK(client.read_response().status == 426);
  }
  {
    raw_client client(server.port());  // the handler answers 101 to a request with no Upgrade
    REQUIRE(client.send("GET /ignores-stop HTTP/1.1\r\nHost: x\r\n\r\n"));
    const http_reply reply = client.read_response();
    CHECK(reply.status == 500);
    CHECK(client.closed_by_server());
  }
  {
    raw_client client(server.port());
    REQUIRE(client.send("GET /echo HTTP/1.0\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: line-echo\r\n\r\n"));
    const http_reply reply = client.read_response();
    CHECK(reply.status == 400);
    CHECK(client.closed_by_server());
  }
  CHECK(state.sessions_started == 0);
}

TEST_CASE("a taken-over connection still counts against max_connections") {
  probe state;
  ar::server_settings settings = ar::testing::test_settings();
  settings.max_connections = 1;
  server_type server(app_factory{&state}, settings);
  raw_client first(server.port());
  REQUIRE(first.send(upgrade_request));
  REQUIRE(first.read_response(true).status == 101);
  raw_client second(server.port());
  REQUIRE(second.send("GET /text HTTP/1.1\r\nHost: x\r\n\r\n"));
  CHECK(second.read_response().status == 503);
  REQUIRE(first.send("still mine\n"));
  CHECK(first.read_line() == "echo: still mine\n");
}

TEST_CASE("a drain wakes the session, which says goodbye, and shutdown completes") {
  probe state;
  ar::server_settings settings = ar::testing::test_settings();
  settings.timeouts.drain = 10s;
  server_type server(app_factory{&state}, settings);
  raw_client client(server.port());
  REQUIRE(client.send(upgrade_request));
  REQUIRE(client.read_response(true).status == 101);
  REQUIRE(client.send("ping\n"));
  REQUIRE(client.read_line() == "echo: ping\n");
  const auto started = steady::now();
  server.stop();
  CHECK(steady::now() - started < 5s);
  CHECK(state.saw_stop);
  CHECK(client.read_line() == "bye\n");
  CHECK(client.closed_by_server());
}

TEST_CASE("a session that ignores the drain is closed at the drain deadline") {
  probe state;
  ar::server_settings settings = ar::testing::test_settings();
  settings.timeouts.drain = 1s;
  server_type server(app_factory{&state}, settings);
  raw_client client(server.port());
  REQUIRE(client.send("GET /ignores-stop HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: line-echo\r\n\r\n"));
  REQUIRE(client.read_response(true).status == 101);
  const auto started = steady::now();
  server.stop();
  const auto took = steady::now() - started;
  CHECK(took >= 900ms);
  CHECK(took < 5s);
  CHECK(state.saw_stop);
  CHECK(client.closed_by_server());
}
