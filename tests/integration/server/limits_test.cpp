// Limits and timeouts, over real sockets: every field of request_limits, max_connections, the
// header, body-idle and keep-alive deadlines, and the cost of many idle connections.
#include <asyncrest/asyncrest.hpp>

#include <doctest/doctest.h>
#include <support/raw_client.hpp>
#include <support/test_server.hpp>

#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

namespace ar = asyncrest;
using namespace std::chrono_literals;
using ar::testing::http_reply;
using ar::testing::raw_client;
using ar::testing::test_server;

namespace {

using steady = std::chrono::steady_clock;

[[nodiscard]] double seconds_since(steady::time_point start) {
  return std::chrono::duration<double>(steady::now() - start).count();
}

auto make_app() {
  return ar::app{ar::routes(ar::get<"/">([](ar::request&) -> ar::task<ar::response> { co_return ar::text("ok"); }),
                            ar::post<"/echo">([](ar::request& req) -> ar::task<ar::response> {
                              co_return ar::text(std::string(req.body()));
                            }))};
}

using server_type = test_server<decltype(&make_app)>;

constexpr std::size_t target_limit = 64;
constexpr std::size_t header_limit = 1024;
constexpr std::size_t count_limit = 10;
constexpr std::size_t body_limit = 100;

ar::server_settings limit_settings() {
  ar::server_settings settings = ar::testing::test_settings();
  settings.limits.max_target_bytes = target_limit;
  settings.limits.max_header_bytes = header_limit;
  settings.limits.max_header_count = count_limit;
  settings.limits.max_body_bytes = body_limit;
  return settings;
}

ar::server_settings short_timeouts() {
  ar::server_settings settings = ar::testing::test_settings();
  settings.timeouts.header = 1s;
  settings.timeouts.body_idle = 1s;
  settings.timeouts.keep_alive = 1s;
  return settings;
}

/// A GET of `target`, with `extra` header lines (each ending in CRLF) after Host.
std::string get_request(std::string_view target, std::string_view extra = {}) {
  std::string bytes = "GET ";
  bytes.append(target).append(" HTTP/1.1\r\nHost: x\r\n").append(extra).append("\r\n");
  return bytes;
}

std::string post_head(std::string_view framing) {
  return "POST /echo HTTP/1.1\r\nHost: x\r\n" + std::string(framing) + "\r\n\r\n";
}

/// Reads one response and checks that it has `expected` status, announces the close and is
/// followed by the server closing the connection.
void check_refusal(raw_client& client, int expected) {
  const http_reply reply = client.read_response();
  CHECK(reply.status == expected);
  CHECK(reply.header("Connection") == std::optional<std::string>("close"));
  CHECK(reply.header("Content-Type") == std::optional<std::string>("application/problem+json"));
  CHECK(client.closed_by_server(3s));
}

/// Whether the client's socket has something to read (bytes or a close) within `wait`.
bool readable(const raw_client& client, std::chrono::milliseconds wait) {
  pollfd ready{client.descriptor(), POLLIN, 0};
  return ::poll(&ready, 1, static_cast<int>(wait.count())) > 0;
}

/// `count` header lines "X-Field-<n>: <value_size bytes>".
std::string header_lines(std::size_t count, std::size_t value_size) {
  std::string lines;
  for (std::size_t index = 0; index < count; ++index) {
    lines.append("X-Field-").append(std::to_string(index)).append(": ").append(value_size, 'v').append("\r\n");
  }
  return lines;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// request_limits
// ---------------------------------------------------------------------------------------------

TEST_CASE("a request target longer than max_target_bytes is answered with 414 and the connection closed") {
  server_type server(make_app, limit_settings());
  const std::string too_long = "/?q=" + std::string(target_limit + 1 - 4, 'a');
  raw_client client(server.port());
  REQUIRE(client.send(get_request(too_long)));
  check_refusal(client, 414);
}

TEST_CASE("a request target of exactly max_target_bytes is accepted") {
  server_type server(make_app, limit_settings());
  const std::string at_limit = "/?q=" + std::string(target_limit - 4, 'a');
  raw_client client(server.port());
  REQUIRE(client.send(get_request(at_limit)));
  const http_reply reply = client.read_response();
  CHECK(reply.status == 200);
  CHECK(reply.body == "ok");
  // A path of the same length that no route matches is a 404, not a 414.
  REQUIRE(client.send(get_request("/" + std::string(target_limit - 1, 'p'))));
  CHECK(client.read_response().status == 404);
}

TEST_CASE("a header block larger than max_header_bytes is answered with 431 and the connection closed") {
  server_type server(make_app, limit_settings());

  SUBCASE("one huge header field") {
    raw_client client(server.port());
    REQUIRE(client.send(get_request("/", "X-Big: " + std::string(2 * header_limit, 'b') + "\r\n")));
    check_refusal(client, 431);
  }
  SUBCASE("many medium header fields, each well under the limit, within max_header_count") {
    const std::string lines = header_lines(count_limit - 2, 150);  // 1,3xx bytes in count_limit - 1 fields
    raw_client client(server.port());
    REQUIRE(client.send(get_request("/", lines)));
    check_refusal(client, 431);
  }
  SUBCASE("a header block that arrives slowly in pieces") {
    const std::string request = get_request("/", header_lines(count_limit - 2, 150));
    raw_client client(server.port());
    std::size_t sent = 0;
    while (sent < request.size() && !readable(client, 20ms)) {
      const std::size_t piece = std::min<std::size_t>(64, request.size() - sent);
      if (!client.send(std::string_view(request).substr(sent, piece))) break;
      sent += piece;
    }
    MESSAGE("slow header block: " << sent << " of " << request.size() << " bytes sent before the answer");
    check_refusal(client, 431);
  }
  SUBCASE("a header block of exactly max_header_bytes is accepted") {
    std::string request = get_request("/", "X-Pad: \r\n");  // padded to exactly header_limit bytes
    request.insert(request.find("X-Pad: ") + 7, header_limit - request.size(), 'p');
    raw_client client(server.port());
    REQUIRE(client.send(request));
    CHECK(client.read_response().status == 200);
  }
}

TEST_CASE("more than max_header_count header fields are answered with 431") {
  server_type server(make_app, limit_settings());

  SUBCASE("exactly max_header_count fields are accepted") {
    raw_client client(server.port());
    REQUIRE(client.send(get_request("/", header_lines(count_limit - 1, 1))));  // + Host
    CHECK(client.read_response().status == 200);
  }
  SUBCASE("one more field is refused") {
    raw_client client(server.port());
    REQUIRE(client.send(get_request("/", header_lines(count_limit, 1))));
    check_refusal(client, 431);
  }
}

TEST_CASE("a Content-Length over max_body_bytes is answered with 413 before the body is sent") {
  server_type server(make_app, limit_settings());

  SUBCASE("one byte over") {
    raw_client client(server.port(), 3s);
    REQUIRE(client.send(post_head("Content-Length: " + std::to_string(body_limit + 1))));
    check_refusal(client, 413);
  }
  SUBCASE("far over") {
    raw_client client(server.port(), 3s);
    REQUIRE(client.send(post_head("Content-Length: 1000000000000")));
    check_refusal(client, 413);
  }
  SUBCASE("with Expect: 100-continue, no 100 is sent first") {
    raw_client client(server.port(), 3s);
    REQUIRE(client.send(post_head("Content-Length: 1000\r\nExpect: 100-continue")));
    check_refusal(client, 413);
  }
}

TEST_CASE("a body of exactly max_body_bytes with Content-Length is accepted and echoed") {
  server_type server(make_app, limit_settings());
  const std::string body(body_limit, 'e');
  raw_client client(server.port());
  REQUIRE(client.send(post_head("Content-Length: " + std::to_string(body_limit)) + body));
  const http_reply reply = client.read_response();
  CHECK(reply.status == 200);
  CHECK(reply.body == body);
  // The connection is still usable.
  REQUIRE(client.send(get_request("/")));
  CHECK(client.read_response().status == 200);
}

TEST_CASE("a chunked body over max_body_bytes is answered with 413") {
  server_type server(make_app, limit_settings());
  const std::string head = post_head("Transfer-Encoding: chunked");

  SUBCASE("one chunk declared over the limit, its data never sent") {
    raw_client client(server.port(), 3s);
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", body_limit + 1);
    REQUIRE(client.send(head + size));
    check_refusal(client, 413);
  }
  SUBCASE("chunk sizes that add up over the limit, the last one's data never sent") {
    raw_client client(server.port(), 3s);
    const std::size_t half = body_limit / 2;
    char first[32];
    char second[32];
    std::snprintf(first, sizeof first, "%zx\r\n", half);
    std::snprintf(second, sizeof second, "%zx\r\n", body_limit - half + 1);
    REQUIRE(client.send(head + first + std::string(half, 'c') + "\r\n" + second));
    check_refusal(client, 413);
  }
}

TEST_CASE("a chunked body of exactly max_body_bytes is accepted and echoed") {
  server_type server(make_app, limit_settings());
  const std::size_t half = body_limit / 2;
  char first[32];
  char second[32];
  std::snprintf(first, sizeof first, "%zx\r\n", half);
  std::snprintf(second, sizeof second, "%zx\r\n", body_limit - half);
  const std::string body = std::string(half, 'c') + std::string(body_limit - half, 'd');
  raw_client client(server.port());
  REQUIRE(client.send(post_head("Transfer-Encoding: chunked") + first + body.substr(0, half) + "\r\n" + second +
                      body.substr(half) + "\r\n0\r\n\r\n"));
  const http_reply reply = client.read_response();
  CHECK(reply.status == 200);
  CHECK(reply.body == body);
}

// ---------------------------------------------------------------------------------------------
// max_connections
// ---------------------------------------------------------------------------------------------

TEST_CASE("past max_connections a new connection gets 503 with Retry-After and is closed") {
  ar::server_settings settings = ar::testing::test_settings();
  settings.max_connections = 3;
  settings.timeouts.keep_alive = 30s;
  server_type server(make_app, settings);

  std::vector<std::unique_ptr<raw_client>> open;
  for (int index = 0; index < 3; ++index) {
    open.push_back(std::make_unique<raw_client>(server.port()));
    REQUIRE(open.back()->send(get_request("/")));
    const http_reply reply = open.back()->read_response();
    REQUIRE(reply.status == 200);
    REQUIRE_FALSE(reply.header("Connection").has_value());  // kept alive
  }

  {
    raw_client fourth(server.port(), 3s);
    const http_reply reply = fourth.read_response();  // refused without reading a request
    CHECK(reply.status == 503);
    CHECK(reply.header("Retry-After").has_value());
    CHECK(reply.header("Connection") == std::optional<std::string>("close"));
    CHECK(fourth.closed_by_server(3s));
  }

  // The three are still served.
  for (auto& client : open) {
    REQUIRE(client->send(get_request("/")));
    CHECK(client->read_response().status == 200);
  }

  // Once one of them closes, a new connection is served again (the server notices the close
  // asynchronously, so retry for a while).
  open.erase(open.begin());
  int status = 0;
  int attempts = 0;
  const auto start = steady::now();
  while (status != 200 && steady::now() - start < 5s) {
    ++attempts;
    raw_client fresh(server.port(), 3s);
    if (fresh.send(get_request("/"))) {
      try {
        status = fresh.read_response().status;
      } catch (const std::runtime_error&) {
        status = 0;  // refused and reset before the reply could be read
      }
    }
    if (status != 200) std::this_thread::sleep_for(100ms);
  }
  MESSAGE("a new connection was served after " << attempts << " attempt(s), " << seconds_since(start) << " s");
  CHECK(status == 200);
}

// ---------------------------------------------------------------------------------------------
// Timeouts
// ---------------------------------------------------------------------------------------------

TEST_CASE("the header deadline is total: a client dripping one byte every 200 ms gets 408") {
  server_type server(make_app, short_timeouts());
  const std::string request =
      get_request("/", "User-Agent: a-very-slow-client/1.0\r\nAccept: text/plain\r\nX-Padding: dripdripdrip\r\n");
  const auto drip_time = 200ms * static_cast<long>(request.size());

  raw_client client(server.port());
  const auto first_byte = steady::now();
  std::size_t sent = 0;
  while (sent < request.size()) {
    if (!client.send(std::string_view(request).substr(sent, 1))) break;
    ++sent;
    if (readable(client, 200ms)) break;
  }
  const double answered_after = seconds_since(first_byte);
  MESSAGE("dripping client: answered after " << answered_after << " s, " << sent << " of " << request.size()
                                             << " bytes sent (dripping it all takes "
                                             << std::chrono::duration<double>(drip_time).count() << " s)");
  CHECK(sent < request.size());
  CHECK(answered_after >= 0.8);  // not before the header timeout of 1 s
  CHECK(answered_after < 3.0);   // the timeout plus the sweep, with a wide margin
  check_refusal(client, 408);
}

TEST_CASE("a body that stops arriving is answered with 408 after body_idle") {
  server_type server(make_app, short_timeouts());
  raw_client client(server.port());
  const auto start = steady::now();
  REQUIRE(client.send(post_head("Content-Length: 10") + "abc"));
  REQUIRE(readable(client, 5s));
  const double answered_after = seconds_since(start);
  MESSAGE("stalled body: 408 after " << answered_after << " s");
  CHECK(answered_after >= 0.8);
  CHECK(answered_after < 3.0);
  check_refusal(client, 408);
}

TEST_CASE("an idle keep-alive connection is closed after keep_alive without a response") {
  server_type server(make_app, short_timeouts());

  SUBCASE("after a complete request") {
    raw_client client(server.port());
    REQUIRE(client.send(get_request("/")));
    REQUIRE(client.read_response().status == 200);
    const auto start = steady::now();
    CHECK(client.closed_by_server(3s));  // keep_alive + 2 s; fails when any byte arrives instead
    const double closed_after = seconds_since(start);
    MESSAGE("idle keep-alive connection closed after " << closed_after << " s");
    CHECK(closed_after >= 0.8);
  }
  SUBCASE("a fresh connection that sends nothing") {
    raw_client client(server.port());
    const auto start = steady::now();
    CHECK(client.closed_by_server(3s));
    const double closed_after = seconds_since(start);
    MESSAGE("silent fresh connection closed after " << closed_after << " s");
    CHECK(closed_after >= 0.8);
  }
}

TEST_CASE("a connection that keeps sending requests is not closed by keep_alive") {
  server_type server(make_app, short_timeouts());
  raw_client client(server.port());
  const auto start = steady::now();
  int answered = 0;
  for (int index = 0; index < 10; ++index) {
    if (index != 0) std::this_thread::sleep_for(300ms);
    if (!client.send(get_request("/"))) break;
    const http_reply reply = client.read_response();
    if (reply.status != 200 || reply.header("Connection").has_value()) break;
    ++answered;
  }
  MESSAGE("one connection answered " << answered << " requests over " << seconds_since(start) << " s");
  CHECK(answered == 10);
  CHECK(seconds_since(start) > 2.0);  // well past keep_alive
}

// ---------------------------------------------------------------------------------------------
// Idle cost
// ---------------------------------------------------------------------------------------------

TEST_CASE("1,000 idle keep-alive connections stay open and the server stays responsive") {
  constexpr std::size_t idle_count = 1000;
  rlimit files{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &files) == 0);
  constexpr rlim_t wanted = 2 * idle_count + 256;  // both ends live in this process
  if (files.rlim_cur < wanted) {
    files.rlim_cur = files.rlim_max == RLIM_INFINITY ? wanted : std::min(wanted, files.rlim_max);
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &files) == 0);
  }
  REQUIRE(files.rlim_cur >= wanted);

  ar::server_settings settings = ar::testing::test_settings();
  settings.max_connections = idle_count + 100;
  settings.timeouts.keep_alive = 60s;
  server_type server(make_app, settings);

  const auto opening = steady::now();
  std::vector<std::unique_ptr<raw_client>> idle;
  idle.reserve(idle_count);
  for (std::size_t index = 0; index < idle_count; ++index) {
    idle.push_back(std::make_unique<raw_client>(server.port()));
    REQUIRE(idle.back()->send(get_request("/")));
    REQUIRE(idle.back()->read_response().status == 200);
  }
  MESSAGE("opened " << idle_count << " keep-alive connections in " << seconds_since(opening) << " s");

  const auto asking = steady::now();
  const http_reply reply = ar::testing::exchange(server.port(), get_request("/"));
  const double answer_time = seconds_since(asking);
  MESSAGE("a new request with " << idle_count << " idle connections took " << answer_time * 1000 << " ms");
  CHECK(reply.status == 200);
  CHECK(answer_time < 2.0);

  std::size_t still_open = 0;
  for (const auto& client : idle) {
    if (!readable(*client, 0ms)) ++still_open;
  }
  CHECK(still_open == idle_count);

  std::size_t sample_answered = 0;
  std::size_t sampled = 0;
  for (std::size_t index = 0; index < idle_count; index += 37) {
    ++sampled;
    if (!idle[index]->send(get_request("/"))) continue;
    if (idle[index]->read_response().status == 200) ++sample_answered;
  }
  CHECK(sample_answered == sampled);
}

TEST_CASE("a second server on a port already listened on refuses to start, unless both share it") {
  for (const unsigned threads : {1U, 2U}) {
    CAPTURE(threads);
    ar::server_settings settings = ar::testing::test_settings();
    settings.threads = threads;
    server_type first(make_app, settings);
    for (const unsigned second_threads : {1U, 2U}) {
      CAPTURE(second_threads);
      auto second = make_app();
      try {
        (void)second.listen({.host = "127.0.0.1", .port = first.port(), .threads = second_threads});
        FAIL_CHECK("the second server listened on the first one's port");
      } catch (const std::system_error& error) {
        CHECK(error.code() == asio::error::address_in_use);
        CHECK(std::string(error.what()).find("share_port_with_other_processes") != std::string::npos);
      }
    }
    CHECK(ar::testing::exchange(first.port(), get_request("/")).status == 200);
  }

  // Asked for on both sides, the port is shared, as for a restart without downtime.
  ar::server_settings shared = ar::testing::test_settings();
  shared.share_port_with_other_processes = true;
  server_type first(make_app, shared);
  shared.port = first.port();
  shared.host = "127.0.0.1";
  auto second = make_app();
  CHECK(second.listen(shared) == first.port());
}

namespace {

/// A forked server allowed `descriptors` open files, with its stderr on a pipe: it answers
/// GET /failures with the number of accepts that failed.
struct starved_server {
  pid_t pid = -1;
  int errors = -1;
  std::uint16_t port = 0;

  explicit starved_server(rlim_t descriptors) {
    int port_pipe[2];
    int error_pipe[2];
    REQUIRE(::pipe(port_pipe) == 0);
    REQUIRE(::pipe(error_pipe) == 0);
    pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::dup2(error_pipe[1], STDERR_FILENO);
      ::close(error_pipe[0]);
      ::close(port_pipe[0]);
      int code = 0;
      try {
        const rlimit files{descriptors, descriptors};
        if (::setrlimit(RLIMIT_NOFILE, &files) != 0) ::_exit(3);
        std::function<ar::server_statistics()> statistics;  // set once the app exists
        auto application = ar::app{ar::routes(ar::get<"/failures">(
            [&statistics](ar::request&) { return ar::text(std::to_string(statistics().accept_failures)); }))};
        statistics = [&application] { return application.statistics(); };
        ar::server_settings settings = ar::testing::test_settings();
        settings.host = "127.0.0.1";
        settings.port = 0;
        const std::uint16_t listening = application.listen(settings);
        if (::write(port_pipe[1], &listening, sizeof listening) != sizeof listening) ::_exit(2);
        application.run();
      } catch (...) {
        code = 1;
      }
      ::_exit(code);
    }
    ::close(port_pipe[1]);
    ::close(error_pipe[1]);
    errors = error_pipe[0];
    REQUIRE(::read(port_pipe[0], &port, sizeof port) == sizeof port);
    ::close(port_pipe[0]);
  }
  starved_server(const starved_server&) = delete;
  starved_server& operator=(const starved_server&) = delete;
  ~starved_server() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    if (errors >= 0) ::close(errors);
  }

  /// What the server wrote on stderr within `limit`.
  std::string stderr_within(std::chrono::milliseconds limit) const {
    std::string text;
    const auto give_up = steady::now() + limit;
    while (steady::now() < give_up) {
      pollfd ready{errors, POLLIN, 0};
      if (::poll(&ready, 1, 50) != 1) continue;
      char chunk[4096];
      const ssize_t got = ::read(errors, chunk, sizeof chunk);
      if (got <= 0) break;
      text.append(chunk, static_cast<std::size_t>(got));
    }
    return text;
  }
};

}  // namespace

TEST_CASE("out of file descriptors, the server logs it once, counts it, and accepts again once fds free") {
  starved_server server(32);
  // Far more connections than the server may hold: the kernel completes them (the backlog), and
  // each accept fails until some close.
  std::vector<std::unique_ptr<raw_client>> crowd;
  for (int index = 0; index < 60; ++index) crowd.push_back(std::make_unique<raw_client>(server.port));
  const std::string logged = server.stderr_within(1500ms);
  CHECK(logged.find("cannot accept a connection") != std::string::npos);
  CHECK(logged.find("Too many open files") != std::string::npos);
  // Failing every 50 ms for 1.5 s, yet one line: rate-limited.
  std::size_t lines = 0;
  for (const char character : logged) lines += character == '\n' ? 1 : 0;
  CHECK_MESSAGE(lines == 1, "stderr: " << logged);

  crowd.clear();  // the server's descriptors free as it sees these close
  std::optional<http_reply> reply;
  const auto give_up = steady::now() + 10s;
  while (!reply && steady::now() < give_up) {
    try {
      reply = ar::testing::exchange(server.port, get_request("/failures"));
    } catch (const std::exception&) {
      std::this_thread::sleep_for(50ms);
    }
  }
  REQUIRE(reply.has_value());
  CHECK(reply->status == 200);
  CHECK(std::stoull(reply->body) > 1);
}
