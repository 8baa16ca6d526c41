// Graceful shutdown, over real sockets: requests in flight are answered, idle connections are
// closed at once, the port stops accepting, hooks run last, the drain deadline holds, and
// SIGTERM does all of this in a real process.
#include <asyncrest/asyncrest.hpp>

#include <doctest/doctest.h>
#include <support/raw_client.hpp>
#include <support/test_server.hpp>
#include <support/wait_until.hpp>

#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace ar = asyncrest;
using namespace std::chrono_literals;
using ar::testing::http_reply;
using ar::testing::raw_client;
using ar::testing::test_server;
using ar::testing::wait_until;

namespace {

using steady = std::chrono::steady_clock;

[[nodiscard]] double seconds_between(steady::time_point from, steady::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

/// What the handlers report to the test, from the server's threads.
struct probe {
  std::atomic<int> slow_started{0};
  std::atomic<int> slow_finished{0};
  std::atomic<int> very_slow_started{0};

  std::mutex mutex;
  std::function<void()> stop_app;  // called by GET /stop
  std::vector<std::string> events;

  void record(std::string event) {
    std::lock_guard lock(mutex);
    events.push_back(std::move(event));
  }
  std::vector<std::string> recorded() {
    std::lock_guard lock(mutex);
    return events;
  }
};

ar::task<void> wait_for(std::chrono::milliseconds duration) {
  co_await asio::steady_timer{co_await asio::this_coro::executor, duration}.async_wait(asio::use_awaitable);
}

auto make_app(probe& state) {
  probe* const p = &state;
  return ar::app{
      ar::routes(ar::get<"/fast">([](ar::request&) -> ar::task<ar::response> { co_return ar::text("fast"); }),
                 ar::get<"/slow">([p](ar::request&) -> ar::task<ar::response> {
                   ++p->slow_started;
                   co_await asio::steady_timer{co_await asio::this_coro::executor, 1s}.async_wait(asio::use_awaitable);
                   p->record("slow finished");
                   ++p->slow_finished;
                   co_return ar::text("slow done");
                 }),
                 ar::get<"/very-slow">([p](ar::request&) -> ar::task<ar::response> {
                   ++p->very_slow_started;
                   co_await wait_for(30s);
                   co_return ar::text("very slow done");
                 }),
                 ar::get<"/stop">([p](ar::request&) -> ar::task<ar::response> {
                   std::function<void()> stop;
                   {
                     std::lock_guard lock(p->mutex);
                     stop = p->stop_app;
                   }
                   if (stop) stop();
                   co_return ar::text("stopping");
                 }),
                 ar::get<"/thread">([](ar::request&) -> ar::task<ar::response> {
                   co_return ar::text(std::to_string(std::hash<std::thread::id>{}(std::this_thread::get_id())));
                 }))};
}

/// Makes the app in place, as test_server needs.
struct app_factory {
  probe* state;
  auto operator()() const { return make_app(*state); }
};
using server_type = test_server<app_factory>;
using app_type = server_type::app_type;

ar::server_settings shutdown_settings() {
  ar::server_settings settings = ar::testing::test_settings();
  settings.timeouts.keep_alive = 30s;
  settings.timeouts.drain = 10s;
  return settings;
}

const std::string get_fast = "GET /fast HTTP/1.1\r\nHost: x\r\n\r\n";
const std::string get_slow = "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n";
const std::string get_very_slow = "GET /very-slow HTTP/1.1\r\nHost: x\r\n\r\n";

/// A keep-alive request answered on `client`.
void complete_request(raw_client& client) {
  REQUIRE(client.send(get_fast));
  const http_reply reply = client.read_response();
  REQUIRE(reply.status == 200);
  REQUIRE_FALSE(reply.header("Connection").has_value());
}

/// Whether the peer has closed its sending side of `descriptor` (FIN or reset seen).
bool peer_closed(int descriptor) {
  pollfd ready{descriptor, POLLRDHUP, 0};
  return ::poll(&ready, 1, 0) > 0 && (ready.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

/// Whether a new connection to `port` is refused: connect fails, or the connection is closed or
/// reset without a response.
bool connection_refused(std::uint16_t port) {
  try {
    raw_client client(port, 2s);
    if (!client.send(get_fast)) return true;
    return client.closed_by_server(2s);
  } catch (const std::runtime_error&) {
    return true;  // connect() failed
  }
}

/// Times `stop()` on another thread, so that the test can talk to the server meanwhile.
class background_stop {
 public:
  template <class Server>
  explicit background_stop(Server& server)
      : started_(steady::now()), thread_([this, &server] {
          server.stop();
          finished_ = steady::now();
        }) {}
  background_stop(const background_stop&) = delete;
  background_stop& operator=(const background_stop&) = delete;
  ~background_stop() { join(); }

  void join() {
    if (thread_.joinable()) thread_.join();
  }
  /// Seconds stop() took; join() first.
  [[nodiscard]] double seconds() const { return seconds_between(started_, finished_); }

 private:
  steady::time_point started_;
  steady::time_point finished_{};
  std::thread thread_;
};

/// Kills and reaps a child process unless the test has reaped it.
struct child_guard {
  pid_t pid = -1;
  child_guard() = default;
  child_guard(const child_guard&) = delete;
  child_guard& operator=(const child_guard&) = delete;
  ~child_guard() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
};

struct file_descriptor {
  int value = -1;
  file_descriptor() = default;
  file_descriptor(const file_descriptor&) = delete;
  file_descriptor& operator=(const file_descriptor&) = delete;
  ~file_descriptor() { reset(); }
  void reset() {
    if (value >= 0) ::close(value);
    value = -1;
  }
};

}  // namespace

TEST_CASE("a request in flight when stop() is called is answered with Connection: close") {
  probe state;
  server_type server(app_factory{&state}, shutdown_settings());
  auto client = std::make_unique<raw_client>(server.port());
  REQUIRE(client->send(get_slow));
  REQUIRE(wait_until([&] { return state.slow_started == 1; }));

  background_stop stopping(server);
  const http_reply reply = client->read_response();
  CHECK(reply.status == 200);
  CHECK(reply.body == "slow done");
  CHECK(reply.header("Connection") == std::optional<std::string>("close"));
  CHECK(client->closed_by_server(3s));
  client.reset();  // a client closes once it has read a Connection: close response

  stopping.join();
  MESSAGE("stop() with a 1 s request in flight took " << stopping.seconds() << " s");
  CHECK(state.slow_finished == 1);  // stop() returned only after the handler had answered
  CHECK(stopping.seconds() < 5.0);
}

TEST_CASE("stop() closes idle keep-alive connections at once") {
  probe state;
  server_type server(app_factory{&state}, shutdown_settings());  // keep_alive: 30 s
  std::vector<std::unique_ptr<raw_client>> idle;
  for (int index = 0; index < 3; ++index) {
    idle.push_back(std::make_unique<raw_client>(server.port()));
    complete_request(*idle.back());
  }
  auto fresh = std::make_unique<raw_client>(server.port());  // connected, nothing sent

  const auto start = steady::now();
  server.stop();
  const double took = seconds_between(start, steady::now());
  MESSAGE("stop() with 4 idle connections took " << took << " s");
  CHECK(took < 3.0);
  for (auto& client : idle) CHECK(client->closed_by_server(2s));
  CHECK(fresh->closed_by_server(2s));
}

TEST_CASE("after stop() the port refuses new connections") {
  probe state;
  server_type server(app_factory{&state}, shutdown_settings());
  REQUIRE(ar::testing::exchange(server.port(), get_fast).status == 200);
  REQUIRE_FALSE(connection_refused(server.port()));  // the check itself can tell the difference

  server.stop();
  CHECK(connection_refused(server.port()));
}

TEST_CASE("shutdown hooks run in order after the last connection closed and before run() returns") {
  probe state;
  auto application = make_app(state);
  ar::server_settings settings = shutdown_settings();
  settings.host = "127.0.0.1";
  settings.port = 0;
  settings.handle_signals = false;
  const std::uint16_t port = application.listen(settings);

  raw_client idle(port);
  raw_client busy(port);
  application.on_shutdown([&] {
    state.record(std::string("hook 1") + (peer_closed(idle.descriptor()) && peer_closed(busy.descriptor())
                                              ? ""
                                              : " with a connection still open"));
  });
  application.on_shutdown([&] { state.record("hook 2"); });

  std::thread runner([&] {
    application.run();
    state.record("run returned");
  });
  struct stop_and_join {
    app_type& target;
    std::thread& runner;
    ~stop_and_join() {
      target.stop();
      if (runner.joinable()) runner.join();
    }
  } guard{application, runner};

  complete_request(idle);
  REQUIRE(busy.send(get_slow));
  REQUIRE(wait_until([&] { return state.slow_started == 1; }));
  state.record("stop");
  application.stop();

  const http_reply reply = busy.read_response();
  CHECK(reply.status == 200);
  CHECK(reply.header("Connection") == std::optional<std::string>("close"));
  busy.shutdown_send();  // lets the server finish closing without waiting for its linger
  runner.join();

  const std::vector<std::string> expected{"stop", "slow finished", "hook 1", "hook 2", "run returned"};
  CHECK(state.recorded() == expected);
}

TEST_CASE("the drain deadline closes connections whose requests take too long") {
  probe state;
  ar::server_settings settings = shutdown_settings();
  settings.timeouts.drain = 1s;
  server_type server(app_factory{&state}, settings);
  raw_client client(server.port(), 5s);
  REQUIRE(client.send(get_very_slow));
  REQUIRE(wait_until([&] { return state.very_slow_started == 1; }));

  const auto start = steady::now();
  server.stop();
  const double took = seconds_between(start, steady::now());
  MESSAGE("stop() with a 30 s request in flight and a 1 s drain took " << took << " s");
  CHECK(took >= 0.8);  // the request had its drain time
  CHECK(took < 5.0);   // and not its 30 s
  // Closed by the server (read_until_closed throws when nothing happens for 5 s); no complete
  // response can have been sent.
  const std::string rest = client.read_until_closed();
  CHECK(rest.find("very slow done") == std::string::npos);
}

TEST_CASE("pipelined requests: the one in flight at stop() is answered with Connection: close") {
  probe state;
  server_type server(app_factory{&state}, shutdown_settings());
  auto client = std::make_unique<raw_client>(server.port());
  REQUIRE(client->send(get_fast + get_slow + get_fast + get_fast));
  REQUIRE(wait_until([&] { return state.slow_started == 1; }));

  background_stop stopping(server);
  const http_reply first = client->read_response();
  CHECK(first.status == 200);
  CHECK(first.body == "fast");
  CHECK_FALSE(first.header("Connection").has_value());  // answered before the shutdown
  const http_reply second = client->read_response();
  CHECK(second.status == 200);
  CHECK(second.body == "slow done");
  CHECK(second.header("Connection") == std::optional<std::string>("close"));
  CHECK(client->closed_by_server(3s));  // fails if the requests after it were answered
  client.reset();

  stopping.join();
  MESSAGE("stop() with pipelined requests took " << stopping.seconds() << " s");
  CHECK(stopping.seconds() < 5.0);
}

TEST_CASE("stop() on a multi-threaded server with connections on both threads completes") {
  probe state;
  ar::server_settings settings = shutdown_settings();
  settings.threads = 2;
  server_type server(app_factory{&state}, settings);

  // Open connections until two are served by different threads (the kernel spreads them).
  std::vector<std::unique_ptr<raw_client>> clients;
  std::vector<raw_client*> one_per_thread;
  std::set<std::string> threads;
  for (int attempt = 0; attempt < 64 && one_per_thread.size() < 2; ++attempt) {
    clients.push_back(std::make_unique<raw_client>(server.port()));
    REQUIRE(clients.back()->send("GET /thread HTTP/1.1\r\nHost: x\r\n\r\n"));
    const http_reply reply = clients.back()->read_response();
    REQUIRE(reply.status == 200);
    if (threads.insert(reply.body).second) one_per_thread.push_back(clients.back().get());
  }
  REQUIRE(one_per_thread.size() == 2);
  MESSAGE("connections on both threads after opening " << clients.size());

  for (raw_client* client : one_per_thread) REQUIRE(client->send(get_slow));
  REQUIRE(wait_until([&] { return state.slow_started == 2; }));

  background_stop stopping(server);
  for (raw_client* client : one_per_thread) {
    const http_reply reply = client->read_response();
    CHECK(reply.status == 200);
    CHECK(reply.header("Connection") == std::optional<std::string>("close"));
    CHECK(client->closed_by_server(3s));
    client->shutdown_send();
  }
  for (auto& client : clients) CHECK(client->closed_by_server(5s));
  stopping.join();
  MESSAGE("stop() on 2 threads took " << stopping.seconds() << " s");
  CHECK(state.slow_finished == 2);
  CHECK(stopping.seconds() < 5.0);
}

TEST_CASE("app.stop() called from inside a handler stops the server, and the handler's response arrives") {
  probe state;
  server_type server(app_factory{&state}, shutdown_settings());
  {
    std::lock_guard lock(state.mutex);
    state.stop_app = [&server] { server.app().stop(); };
  }
  raw_client idle(server.port());
  complete_request(idle);

  raw_client client(server.port());
  REQUIRE(client.send("GET /stop HTTP/1.1\r\nHost: x\r\n\r\n"));
  const http_reply reply = client.read_response();
  CHECK(reply.status == 200);
  CHECK(reply.body == "stopping");
  CHECK(client.closed_by_server(3s));
  CHECK(idle.closed_by_server(3s));
  CHECK(wait_until([&] { return connection_refused(server.port()); }, 5s));

  const auto start = steady::now();
  server.stop();  // joins the server's thread, whose run() is returning by itself
  const double took = seconds_between(start, steady::now());
  MESSAGE("joining a server stopped from a handler took " << took << " s");
  CHECK(took < 3.0);
}

namespace {

/// The child process of the SIGTERM tests: serves GET /slow (which writes a byte to `started_fd`
/// and then waits `handler_wait`) with signal handling on, after writing its port to `port_fd`.
/// Exits with 0 once run() has returned and the app is destroyed.
[[noreturn]] void serve_in_child(int port_fd, int started_fd, std::chrono::milliseconds handler_wait,
                                 std::chrono::milliseconds drain) {
  int code = 0;
  try {
    auto application =
        ar::app{ar::routes(ar::get<"/slow">([started_fd, handler_wait](ar::request&) -> ar::task<ar::response> {
          const char started = 's';
          if (::write(started_fd, &started, 1) != 1) throw std::runtime_error("write() failed");
          co_await wait_for(handler_wait);
          co_return ar::text("slow done");
        }))};
    ar::server_settings settings;
    settings.host = "127.0.0.1";
    settings.port = 0;
    settings.threads = 1;
    settings.handle_signals = true;
    settings.timeouts.drain = drain;
    const std::uint16_t port = application.listen(settings);
    if (::write(port_fd, &port, sizeof port) != static_cast<ssize_t>(sizeof port)) code = 2;
    if (code == 0) application.run();
  } catch (...) {
    code = 1;
  }
  ::_exit(code);
}

/// Reads exactly `size` bytes from `descriptor` within `limit`.
bool read_exactly(int descriptor, void* data, std::size_t size, std::chrono::milliseconds limit) {
  auto* out = static_cast<char*>(data);
  const auto give_up = steady::now() + limit;
  while (size > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(give_up - steady::now());
    if (left <= 0ms) return false;
    pollfd ready{descriptor, POLLIN, 0};
    if (::poll(&ready, 1, static_cast<int>(left.count())) <= 0) return false;
    const ssize_t received = ::read(descriptor, out, size);
    if (received <= 0) return false;
    out += received;
    size -= static_cast<std::size_t>(received);
  }
  return true;
}

/// Waits up to `limit` for the child to exit; its wait status, or nothing.
std::optional<int> wait_for_exit(child_guard& child, std::chrono::milliseconds limit) {
  const auto give_up = steady::now() + limit;
  for (;;) {
    int status = 0;
    const pid_t reaped = ::waitpid(child.pid, &status, WNOHANG);
    if (reaped == child.pid) {
      child.pid = -1;
      return status;
    }
    if (reaped < 0 || steady::now() >= give_up) return std::nullopt;
    std::this_thread::sleep_for(20ms);
  }
}

/// A forked server: its pid (killed by the guard on the way out), its port and the pipe on
/// which it tells that a slow request has started.
struct child_server {
  child_guard child;
  file_descriptor started;
  std::uint16_t port = 0;

  child_server(std::chrono::milliseconds handler_wait, std::chrono::milliseconds drain) {
    int port_pipe[2];
    int started_pipe[2];
    REQUIRE(::pipe(port_pipe) == 0);
    file_descriptor port_read;
    file_descriptor port_write;
    port_read.value = port_pipe[0];
    port_write.value = port_pipe[1];
    REQUIRE(::pipe(started_pipe) == 0);
    started.value = started_pipe[0];
    file_descriptor started_write;
    started_write.value = started_pipe[1];

    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(port_pipe[0]);
      ::close(started_pipe[0]);
      serve_in_child(port_pipe[1], started_pipe[1], handler_wait, drain);
    }
    child.pid = pid;
    port_write.reset();
    started_write.reset();
    REQUIRE(read_exactly(port_read.value, &port, sizeof port, 10s));
    REQUIRE(port != 0);
  }
};

}  // namespace

TEST_CASE("SIGTERM drains a request in flight and the process exits with 0") {
  child_server server(1s, 10s);
  auto client = std::make_unique<raw_client>(server.port);
  REQUIRE(client->send(get_slow));
  char started = 0;
  REQUIRE(read_exactly(server.started.value, &started, 1, 5s));

  REQUIRE(::kill(server.child.pid, SIGTERM) == 0);
  const auto signalled = steady::now();
  const http_reply reply = client->read_response();
  CHECK(reply.status == 200);
  CHECK(reply.body == "slow done");
  CHECK(reply.header("Connection") == std::optional<std::string>("close"));
  CHECK(client->closed_by_server(3s));
  client.reset();

  const std::optional<int> status = wait_for_exit(server.child, 10s);
  REQUIRE(status.has_value());
  MESSAGE("the child exited " << seconds_between(signalled, steady::now()) << " s after SIGTERM");
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
}

TEST_CASE("a second SIGTERM during the drain makes the process exit promptly") {
  child_server server(30s, 20s);
  raw_client client(server.port, 5s);
  REQUIRE(client.send(get_slow));
  char started = 0;
  REQUIRE(read_exactly(server.started.value, &started, 1, 5s));

  REQUIRE(::kill(server.child.pid, SIGTERM) == 0);
  // The first signal starts a drain that would last 20 s; the child must still be running.
  CHECK_FALSE(wait_for_exit(server.child, 300ms).has_value());
  REQUIRE(server.child.pid > 0);
  REQUIRE(::kill(server.child.pid, SIGTERM) == 0);
  const auto second = steady::now();

  const std::optional<int> status = wait_for_exit(server.child, 5s);
  REQUIRE(status.has_value());
  MESSAGE("the child exited " << seconds_between(second, steady::now()) << " s after the second SIGTERM");
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
  const std::string rest = client.read_until_closed();  // throws if the connection stays open
  CHECK(rest.find("slow done") == std::string::npos);
}
