// Cancel on disconnect over real sockets: a client that closes, or half-closes, while its
// coroutine handler waits gets its handler cancelled (its wait aborted, its frame destroyed),
// nothing written and the connection closed, with 499 for the middleware before it; a pipelined
// request that arrives while the handler waits is answered after it, not taken for a disconnect;
// a route without the policy runs to its end; with handler_timeout, whichever comes first; over
// TLS as over plain TCP.
#include <asyncrest/asyncrest.hpp>

#include <support/client_runner.hpp>
#include <support/raw_client.hpp>
#include <support/test_certificates.hpp>
#include <support/test_server.hpp>
#include <support/wait_until.hpp>

#include <asio/error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace ar = asyncrest;
using asyncrest::testing::get_request;
using asyncrest::testing::http_reply;
using asyncrest::testing::raw_client;
using asyncrest::testing::test_server;
using asyncrest::testing::wait_until;
using namespace std::chrono_literals;

namespace {

/// What became of a handler that waits until the test opens its gate.
struct held_handler_seen {
  std::atomic<bool> started{false};
  std::atomic<bool> aborted{false};    // its wait completed with operation_aborted
  std::atomic<bool> destroyed{false};  // its frame's locals were destroyed
  std::atomic<bool> finished{false};   // it ran to its end
};

/// Sets its flag when the coroutine frame holding it unwinds.
struct frame_guard {
  std::atomic<bool>& destroyed;
  ~frame_guard() { destroyed = true; }
};

/// Waits, a short timer at a time, until `open`; long enough for any disconnect of these tests.
ar::task<ar::response> held(held_handler_seen& seen, const std::atomic<bool>& open) {
  const frame_guard guard{seen.destroyed};
  seen.started = true;
  asio::steady_timer pause{co_await asio::this_coro::executor};
  try {
    while (!open) {
      pause.expires_after(2ms);
      co_await pause.async_wait(asio::use_awaitable);
    }
  } catch (const std::system_error& error) {
    if (error.code() == asio::error::operation_aborted) seen.aborted = true;
    throw;
  }
  seen.finished = true;
  co_return ar::text("released");
}

/// Keeps an access log's lines.
struct kept_lines {
  std::shared_ptr<std::string> into = std::make_shared<std::string>();
  std::shared_ptr<std::mutex> mutex = std::make_shared<std::mutex>();
  void write(std::string_view lines) const {
    const std::lock_guard hold(*mutex);
    into->append(lines);
  }
  [[nodiscard]] std::string text() const {
    const std::lock_guard hold(*mutex);
    return *into;
  }
};

/// Records the last status an after hook saw: what an access log or metrics would record.
struct status_recorder {
  std::atomic<int>* last;
  void after(const ar::request&, ar::response& res) const { *last = static_cast<int>(res.status); }
};

}  // namespace

TEST_CASE(
    "a client that closes while its handler waits: the handler is cancelled, its frame gone, nothing "
    "written, 499 seen by the middleware before, counted") {
  held_handler_seen seen;
  std::atomic<bool> open{false};
  std::atomic<int> last_status{0};
  const ar::cancel_on_disconnect policy;
  const kept_lines lines;
  const ar::access_log<kept_lines> log{{}, lines};
  test_server server([&] {
    return ar::app{ar::routes(ar::get<"/held">([&]() { return held(seen, open); }),
                              ar::get<"/plain">([]() -> ar::response { return ar::text("plain"); })),
                   log, status_recorder{&last_status}, policy};
  });
  {
    raw_client client(server.port());
    REQUIRE(client.send(get_request("/held")));
    REQUIRE(wait_until([&] { return seen.started.load(); }));
  }  // closed
  REQUIRE(wait_until([&] { return seen.destroyed.load(); }));
  CHECK(seen.aborted);
  CHECK_FALSE(seen.finished);
  REQUIRE(wait_until([&] { return last_status.load() != 0; }));
  CHECK(last_status == 499);
  CHECK(policy.statistics().cancelled == 1);
  log.flush();
  CHECK(lines.text().find(R"("level":"warning")") != std::string::npos);
  CHECK(lines.text().find(R"("path":"/held","status":499)") != std::string::npos);

  // The server goes on: a plain handler on a new connection is answered.
  raw_client next(server.port());
  REQUIRE(next.send(get_request("/plain")));
  CHECK(next.read_response().body == "plain");
  CHECK(policy.statistics().cancelled == 1);
  open = true;
}

TEST_CASE("a client that half-closes after its request is gone: the handler is cancelled, the connection closed") {
  held_handler_seen seen;
  std::atomic<bool> open{false};
  const ar::cancel_on_disconnect policy;
  test_server server(
      [&] { return ar::app{ar::routes(ar::get<"/held">([&]() { return held(seen, open); }).use(policy))}; });
  raw_client client(server.port());
  REQUIRE(client.send(get_request("/held")));
  REQUIRE(wait_until([&] { return seen.started.load(); }));
  client.shutdown_send();
  REQUIRE(wait_until([&] { return seen.destroyed.load(); }));
  CHECK(seen.aborted);
  CHECK_FALSE(seen.finished);
  CHECK(client.read_until_closed().empty());  // nothing written, then closed
  CHECK(policy.statistics().cancelled == 1);
  open = true;
}

TEST_CASE("a request pipelined while the handler waits is no disconnect: it is answered after the first") {
  held_handler_seen seen;
  std::atomic<bool> open{false};
  const ar::cancel_on_disconnect policy;
  test_server server([&] {
    return ar::app{ar::routes(ar::get<"/held">([&]() { return held(seen, open); }),
                              ar::get<"/fast">([]() -> ar::task<ar::response> { co_return ar::text("fast"); }),
                              ar::get<"/open">([&]() -> ar::response {
                                open = true;
                                return ar::text("opened");
                              })),
                   policy};
  });
  raw_client client(server.port());
  REQUIRE(client.send(get_request("/held")));
  REQUIRE(wait_until([&] { return seen.started.load(); }));
  // Arrives while the first handler waits: the watch reads it, and must keep it. The gate is
  // opened from another connection, by the server's thread, after it has had the bytes.
  REQUIRE(client.send(get_request("/fast")));
  raw_client opener(server.port());
  REQUIRE(opener.send(get_request("/open")));
  CHECK(opener.read_response().body == "opened");
  const http_reply first = client.read_response();
  CHECK(first.status == 200);
  CHECK(first.body == "released");
  const http_reply second = client.read_response();
  CHECK(second.status == 200);
  CHECK(second.body == "fast");
  CHECK(seen.finished);
  CHECK(policy.statistics().cancelled == 0);

  // The connection is still good for more.
  REQUIRE(client.send(get_request("/fast")));
  CHECK(client.read_response().body == "fast");
}

TEST_CASE("a route without the policy keeps running after its client has gone") {
  held_handler_seen watched;
  held_handler_seen unwatched;
  std::atomic<bool> open{false};
  const ar::cancel_on_disconnect policy;
  test_server server([&] {
    return ar::app{ar::routes(ar::get<"/watched">([&]() { return held(watched, open); }).use(policy),
                              ar::get<"/unwatched">([&]() { return held(unwatched, open); }))};
  });
  {
    raw_client first(server.port());
    raw_client second(server.port());
    REQUIRE(first.send(get_request("/watched")));
    REQUIRE(second.send(get_request("/unwatched")));
    REQUIRE(wait_until([&] { return watched.started.load() && unwatched.started.load(); }));
  }  // both closed
  REQUIRE(wait_until([&] { return watched.destroyed.load(); }));
  CHECK_FALSE(watched.finished);
  CHECK_FALSE(unwatched.destroyed);  // still waiting: nothing cancels it
  open = true;
  REQUIRE(wait_until([&] { return unwatched.destroyed.load(); }));
  CHECK(unwatched.finished);
  CHECK_FALSE(unwatched.aborted);
  CHECK(policy.statistics().cancelled == 1);
}

TEST_CASE("with handler_timeout, the deadline answers when it comes first") {
  held_handler_seen seen;
  std::atomic<bool> open{false};
  const ar::cancel_on_disconnect policy;
  const ar::handler_timeout timeout{{.after = 100ms}};
  test_server server([&] {
    return ar::app{ar::routes(ar::get<"/held">([&]() { return held(seen, open); }),
                              ar::get<"/fast">([]() -> ar::task<ar::response> { co_return ar::text("fast"); })),
                   timeout, policy};
  });
  raw_client client(server.port());
  REQUIRE(client.send(get_request("/held")));
  const http_reply late = client.read_response();
  CHECK(late.status == 504);
  CHECK(seen.destroyed);
  CHECK(seen.aborted);
  CHECK(timeout.statistics().timed_out == 1);
  CHECK(policy.statistics().cancelled == 0);
  REQUIRE(client.send(get_request("/fast")));
  CHECK(client.read_response().body == "fast");
  open = true;
}

TEST_CASE("with handler_timeout, a disconnect that comes first cancels the handler, in either order") {
  held_handler_seen inner_policy;
  held_handler_seen outer_policy;
  std::atomic<bool> open{false};
  std::atomic<int> last_status{0};
  const ar::cancel_on_disconnect policy;
  const ar::handler_timeout timeout{{.after = 30s}};
  test_server server([&] {
    return ar::app{ar::routes(ar::get<"/inner">([&]() { return held(inner_policy, open); }).use(timeout).use(policy),
                              ar::get<"/outer">([&]() { return held(outer_policy, open); }).use(policy).use(timeout)),
                   status_recorder{&last_status}};
  });
  for (held_handler_seen* seen : {&inner_policy, &outer_policy}) {
    last_status = 0;
    {
      raw_client client(server.port());
      REQUIRE(client.send(get_request(seen == &inner_policy ? "/inner" : "/outer")));
      REQUIRE(wait_until([&] { return seen->started.load(); }));
    }
    REQUIRE(wait_until([&] { return seen->destroyed.load(); }));
    CHECK(seen->aborted);
    CHECK_FALSE(seen->finished);
    REQUIRE(wait_until([&] { return last_status.load() != 0; }));
    CHECK(last_status == 499);
  }
  CHECK(policy.statistics().cancelled == 2);
  CHECK(timeout.statistics().timed_out == 0);
  open = true;
}

TEST_CASE("over TLS too, a client that gives up cancels its handler") {
  held_handler_seen seen;
  std::atomic<bool> open{false};
  const ar::cancel_on_disconnect policy;
  const ar::testing::test_certificates certificates;
  test_server server(
      [&] {
        return ar::app{ar::routes(ar::get<"/held">([&]() { return held(seen, open); })), policy};
      },
      certificates.server_tls_settings());
  ar::client_settings settings;
  settings.tls.ca_file = certificates.ca_file();
  settings.timeouts.total = 1s;  // the client's own limit: it then closes its connection
  std::string outcome;
  ar::testing::run_client(settings, [&](ar::client& http) -> ar::task<void> {
    try {
      outcome = (co_await http.get("https://localhost:" + std::to_string(server.port()) + "/held")).body;
    } catch (const ar::client_error& error) {
      outcome = error.what();
    }
  });
  CHECK(seen.started);
  REQUIRE(wait_until([&] { return seen.destroyed.load(); }));
  CHECK(seen.aborted);
  CHECK_FALSE(seen.finished);
  CHECK(policy.statistics().cancelled == 1);
  CHECK(outcome != "released");
  open = true;
}
