// Response bodies that are not a string, over real sockets: streams (chunked, with a length, to
// an HTTP/1.0 client, to HEAD), their failures (a producer that throws, a client that leaves, a
// reader too slow for the write timeout), backpressure, a drain with a stream open, and files
// sent with sendfile.
#include <asyncrest/asyncrest.hpp>

#include <doctest/doctest.h>
#include <support/raw_client.hpp>
#include <support/test_server.hpp>
#include <support/wait_until.hpp>

#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

namespace ar = asyncrest;
using namespace std::chrono_literals;
using ar::testing::http_reply;
using ar::testing::raw_client;
using ar::testing::test_server;
using ar::testing::wait_until;

namespace {

using steady = std::chrono::steady_clock;

/// What the producers report to the test, from the server's thread.
struct probe {
  std::atomic<int> producers_started{0};
  std::atomic<int> producers_finished{0};
  std::atomic<std::uint64_t> bytes_written{0};  // by the endless producer, as it goes
  std::atomic<bool> saw_stop{false};
  std::atomic<bool> upgrade_saw_stop{false};
  std::mutex mutex;
  std::string failure;  // what the last stream_closed said

  void record_failure(const std::string& what) {
    std::lock_guard lock(mutex);
    failure = what;
  }
  std::string last_failure() {
    std::lock_guard lock(mutex);
    return failure;
  }
};

ar::task<void> pause(std::chrono::milliseconds duration) {
  co_await asio::steady_timer{co_await asio::this_coro::executor, duration}.async_wait(asio::use_awaitable);
}

/// The numbers 0 to count-1, one a line: what /count streams.
std::string counting(int count) {
  std::string text;
  for (int number = 0; number < count; ++number) text += std::to_string(number) + "\n";
  return text;
}

std::filesystem::path make_test_file(std::size_t size) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("asyncrest_bodies_test_" + std::to_string(::getpid()) + "_" + std::to_string(size));
  std::mt19937 random(static_cast<unsigned>(size));
  std::string bytes(size, '\0');
  for (char& byte : bytes) byte = static_cast<char>(random());
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return path;
}

std::string contents_of(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

auto make_app(probe& state, std::filesystem::path file_path) {
  probe* const p = &state;
  return ar::app{ar::routes(
      // A stream of unknown length: one chunk per line.
      ar::get<"/count/{n:int}">([p](ar::request&, int count) {
        return ar::stream(
            [p, count](ar::body_writer& out) -> ar::task<void> {
              ++p->producers_started;
              for (int number = 0; number < count; ++number) co_await out.write(std::to_string(number) + "\n");
              ++p->producers_finished;
            },
            "text/plain");
      }),
      // The same with its length declared.
      ar::get<"/sized">([p](ar::request&) {
        const std::string text = counting(100);
        return ar::stream(
            [p, text](ar::body_writer& out) -> ar::task<void> {
              ++p->producers_started;
              co_await out.write(std::string_view(text).substr(0, 50));
              co_await out.write(std::string_view(text).substr(50));
              ++p->producers_finished;
            },
            "text/plain", text.size());
      }),
      // Declares more than it writes.
      ar::get<"/short">([](ar::request&) {
        return ar::stream([](ar::body_writer& out) -> ar::task<void> { co_await out.write("abc"); }, "text/plain", 10);
      }),
      // Fails before and after its first write.
      ar::get<"/fails-early">([](ar::request&) {
        return ar::stream(
            [](ar::body_writer&) -> ar::task<void> {
              co_await pause(1ms);
              throw ar::http_error(ar::status::conflict, "the producer refused");
            },
            "text/plain");
      }),
      ar::get<"/fails-late">([](ar::request&) {
        return ar::stream(
            [](ar::body_writer& out) -> ar::task<void> {
              co_await out.write("first piece\n");
              throw std::runtime_error("the producer failed half way");
            },
            "text/plain");
      }),
      // Writes until the socket stops taking its pieces or the server stops.
      ar::get<"/endless">([p](ar::request&) {
        return ar::stream(
            [p](ar::body_writer& out) -> ar::task<void> {
              ++p->producers_started;
              const std::string piece(64 * 1024, 'x');
              try {
                for (;;) {
                  co_await out.write(piece);
                  p->bytes_written = out.bytes_written();
                }
              } catch (const ar::stream_closed& closed) {
                p->record_failure(closed.what());
                ++p->producers_finished;
                throw;
              }
            },
            "application/octet-stream");
      }),
      // A slow event stream that ends when the server asks it to.
      ar::get<"/ticks">([p](ar::request&) {
        return ar::stream(
            [p](ar::body_writer& out) -> ar::task<void> {
              ++p->producers_started;
              co_await out.write("");  // the head now, before the first tick
              while (!out.stop_requested()) {
                co_await out.write("tick\n");
                co_await pause(20ms);
              }
              p->saw_stop = true;
              co_await out.write("bye\n");
              ++p->producers_finished;
            },
            "text/plain");
      }),
      // Ignores the server's request to stop: closed at the drain deadline.
      ar::get<"/ignores-stop">([p](ar::request&) {
        return ar::stream(
            [p](ar::body_writer& out) -> ar::task<void> {
              ++p->producers_started;
              try {
                for (;;) {
                  co_await out.write("still here\n");
                  co_await pause(50ms);
                }
              } catch (const ar::stream_closed& closed) {
                p->record_failure(closed.what());
                ++p->producers_finished;
                throw;
              }
            },
            "text/plain");
      }),
      // Reads the request while streaming: it lives until the body is sent.
      ar::get<"/echo-path/{name}">([](ar::request& req, std::string_view) {
        return ar::stream(
            [&req](ar::body_writer& out) -> ar::task<void> {
              co_await out.write(req.path());
              co_await out.write(" ");
              co_await out.write(*req.path_parameter("name"));
            },
            "text/plain");
      }),
      ar::get<"/file">([file_path](ar::request&) { return ar::file(file_path, "application/octet-stream"); }),
      ar::get<"/missing">([](ar::request&) { return ar::file("/nonexistent/asyncrest/file"); }),
      ar::get<"/folder">([](ar::request&) { return ar::file(std::filesystem::temp_directory_path()); }),
      ar::get<"/fifo/{path:path}">(
          [](ar::request&, std::string_view path) { return ar::file("/" + std::string(path)); }),
      // An upgraded connection that answers "bye" when the server stops, for the drain with both.
      ar::get<"/upgrade">([p](ar::request&) {
        return ar::upgrade("goodbye", [p](ar::upgraded_connection& peer) -> ar::task<void> {
          std::array<char, 64> bytes;
          while (co_await peer.read_some(bytes) != 0) {
          }
          if (peer.stop_requested()) {
            p->upgrade_saw_stop = true;
            co_await peer.write("bye\n");
          }
        });
      }),
      ar::get<"/text">([](ar::request&) { return ar::text("plain"); }))};
}

struct app_factory {
  probe* state;
  std::filesystem::path file_path;
  auto operator()() const { return make_app(*state, file_path); }
};
using server_type = test_server<app_factory>;

constexpr std::size_t file_size = 3 * 1024 * 1024 + 17;  // several sendfile steps, and an odd tail

struct fixture {
  probe state;
  std::filesystem::path file_path = make_test_file(file_size);
  ~fixture() { std::filesystem::remove(file_path); }
};

std::string get(std::string_view path, std::string_view version = "HTTP/1.1", std::string_view method = "GET") {
  return std::string(method) + " " + std::string(path) + " " + std::string(version) + "\r\nHost: x\r\n\r\n";
}

}  // namespace

TEST_CASE("a stream of unknown length is chunked, one chunk per write, and the connection stays open") {
  fixture f;
  server_type server(app_factory{&f.state, f.file_path});
  raw_client client(server.port());
  REQUIRE(client.send(get("/count/5")));
  const http_reply reply = client.read_response();
  CHECK(reply.status == 200);
  CHECK(reply.header("Transfer-Encoding") == "chunked");
  CHECK_FALSE(reply.header("Content-Length"));
  CHECK(reply.header("Content-Type") == "text/plain");
  CHECK(reply.body == counting(5));
  CHECK(reply.chunk_sizes == std::vector<std::size_t>{2, 2, 2, 2, 2});

  REQUIRE(client.send(get("/text")));
  CHECK(client.read_response().body == "plain");
}

TEST_CASE("an empty stream is a chunked body of no chunks") {
  fixture f;
  server_type server(app_factory{&f.state, f.file_path});
  raw_client client(server.port());
  REQUIRE(client.send(get("/count/0")));
  const http_reply reply = client.read_response();
  CHECK(reply.status == 200);
  CHECK(reply.body.empty());
  CHECK(reply.chunk_sizes.empty());
  REQUIRE(client.send(get("/text")));
  CHECK(client.read_response().body == "plain");
}

TEST_CASE("a stream with a declared length is sent with Content-Length and no chunks") {
  fixture f;
  server_type server(app_factory{&f.state, f.file_path});
  raw_client client(server.port());
  REQUIRE(client.send(get("/sized")));
  const http_reply reply = client.read_response();
  CHECK(reply.header("Content-Length") == std::to_string(counting(100).size()));
  CHECK_FALSE(reply.header("Transfer-Encoding"));
  CHECK(reply.body == counting(100));
  REQUIRE(client.send(get("/text")));
  CHECK(client.read_response().body == "plain");
}

TEST_CASE("a stream that writes less than it declared is cut off by closing the connection") {
  fixture f;
  server_type server(app_factory{&f.state, f.file_path});
  raw_client client(server.port());
  REQUIRE(client.send(get("/short")));
  const std::string received = client.read_until_closed();
  CHECK(received.find("Content-Length: 10\r\n") != std::string::npos);
  CHECK(received.substr(received.size() - 5) == "\r\nabc");
}

TEST_CASE("an HTTP/1.0 client gets the stream delimited by the end of the connection") {
  fixture f;
  server_type server(app_factory{&f.state, f.file_path});
  raw_client client(server.port());
  REQUIRE(client.send(get("/count/3", "HTTP/1.0")));
  const std::string received = client.read_until_closed();
  const std::size_t head_end = received.find("\r\n\r\n");
  REQUIRE(head_end != std::string::npos);
  const std::string head = received.substr(0, head_end);
  CHECK(head.find("Transfer-Encoding") == std::string::npos);
  CHECK(head.find("Content-Length") == std::string::npos);
  CHECK(head.find("Connection: close") != std::string::npos);
  CHECK(received.substr(head_end + 4) == counting(3));
}

TEST_CASE("HEAD gets a stream's head without running its producer") {
  fixture f;
  server_type server(app_factory{&f.state, f.file_path});
  raw_client client(server.port());
  REQUIRE(client.send(get("/count/5", "HTTP/1.1", "HEAD")));
  const http_reply reply = client.read_response(true);
  CHECK(reply.status == 200);
  CHECK(reply.header("Transfer-Encoding") == "chunked");
  REQUIRE(client.send(get("/sized", "HTTP/1.1", "HEAD")));
  CHECK(client.read_response(true).header("Content-Length") == std::to_string(counting(100).size()));
  REQUIRE(client.send(get("/text")));
  CHECK(client.read_response().body == "plain");
  CHECK(f.state.producers_started == 0);
}

TEST_CASE("a producer that fails before writing gets an error response; after writing, the body is cut") {
  fixture f;
  server_type server(app_factory{&f.state, f.file_path});
  {
    raw_client client(server.port());
    REQUIRE(client.send(get("/fails-early")));
    const http_reply reply = client.read_response();
    CHECK(reply.status == 409);
    CHECK(reply.header("Content-Type") == "application/problem+json");
    CHECK(reply.body.find("the producer refused") != std::string::npos);
    REQUIRE(client.send(get("/text")));
    CHECK(client.read_response().body == "plain");
  }
  {
    raw_client client(server.port());
    REQUIRE(client.send(get("/fails-late")));
    const std::string received = client.read_until_closed();
    CHECK(received.find("Transfer-Encoding: chunked") != std::string::npos);
    CHECK(received.find("first piece\n\r\n") != std::string::npos);
    CHECK(received.find("0\r\n\r\n") == std::string::npos);  // no last chunk: the client knows it is cut
  }
}

TEST_CASE("the producer reads the request it answers") {
  fixture f;
  server_type server(app_factory{&f.state, f.file_path});
  raw_client client(server.port());
  REQUIRE(client.send(get("/echo-path/caf%C3%A9") + get("/text")));  // pipelined after it, too
  CHECK(client.read_response().body == "/echo-path/café café");
  CHECK(client.read_response().body == "plain");
}

TEST_CASE("a client that goes away mid-stream ends the producer at its next write") {
  fixture f;
  server_type server(app_factory{&f.state, f.file_path});
  {
    raw_client client(server.port());
    REQUIRE(client.send(get("/endless")));
    client.read_exactly(100 * 1024);
  }  // closed with unread bytes: a reset
  REQUIRE(wait_until([&] { return f.state.producers_finished == 1; }));
  CHECK(f.state.last_failure() == "the client closed the connection");
  raw_client client(server.port());
  REQUIRE(client.send(get("/text")));
  CHECK(client.read_response().body == "plain");
}

TEST_CASE("a reader too slow for the write timeout ends the stream; memory stays bounded meanwhile") {
  fixture f;
  ar::server_settings settings = ar::testing::test_settings();
  settings.timeouts.write = 1s;
  server_type server(app_factory{&f.state, f.file_path}, settings);
  raw_client client(server.port(), 10s, 64 * 1024);
  REQUIRE(client.send(get("/endless")));
  REQUIRE(wait_until([&] { return f.state.producers_finished == 1; }));
  CHECK(f.state.last_failure() == "the client did not take the stream within the write timeout");
  // Each write waited for the socket: what was written is what the two socket buffers hold, not
  // what an endless producer would have queued in a second.
  MESSAGE("bytes taken before the timeout: " << f.state.bytes_written.load());
  CHECK(f.state.bytes_written < 16 * 1024 * 1024);
}

TEST_CASE("a drain lets a stream that checks stop_requested() end cleanly") {
  fixture f;
  ar::server_settings settings = ar::testing::test_settings();
  settings.timeouts.drain = 10s;
  server_type server(app_factory{&f.state, f.file_path}, settings);
  raw_client client(server.port());
  REQUIRE(client.send(get("/ticks")));
  REQUIRE(client.read_line().rfind("HTTP/1.1 200", 0) == 0);
  REQUIRE(wait_until([&] { return f.state.producers_started == 1; }));
  const auto started = steady::now();
  server.stop();
  CHECK(steady::now() - started < 5s);
  CHECK(f.state.saw_stop);
  const std::string rest = client.read_until_closed();
  CHECK(rest.find("4\r\nbye\n\r\n0\r\n\r\n") != std::string::npos);  // the last piece, and the last chunk
  CHECK(rest.find("Connection: close") == std::string::npos);        // the head had left before the drain
}

TEST_CASE("a drain with a stream and an upgraded connection open ends both, and run() returns") {
  fixture f;
  ar::server_settings settings = ar::testing::test_settings();
  settings.timeouts.drain = 10s;
  server_type server(app_factory{&f.state, f.file_path}, settings);
  raw_client streaming(server.port());
  REQUIRE(streaming.send(get("/ticks")));
  REQUIRE(streaming.read_line().rfind("HTTP/1.1 200", 0) == 0);
  raw_client upgraded(server.port());
  REQUIRE(upgraded.send("GET /upgrade HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: goodbye\r\n\r\n"));
  REQUIRE(upgraded.read_response(true).status == 101);
  REQUIRE(wait_until([&] { return f.state.producers_started == 1; }));
  const auto started = steady::now();
  server.stop();
  CHECK(steady::now() - started < 5s);  // both ended when told, long before the drain deadline
  CHECK(f.state.saw_stop);
  CHECK(f.state.upgrade_saw_stop);
  CHECK(streaming.read_until_closed().find("4\r\nbye\n\r\n0\r\n\r\n") != std::string::npos);
  CHECK(upgraded.read_line() == "bye\n");
  CHECK(upgraded.closed_by_server());
}

TEST_CASE("a reader of one byte a second ends the stream at the write timeout") {
  fixture f;
  ar::server_settings settings = ar::testing::test_settings();
  settings.timeouts.write = 1s;
  server_type server(app_factory{&f.state, f.file_path}, settings);
  raw_client client(server.port(), 10s, 4 * 1024);
  REQUIRE(client.send(get("/endless")));
  // Reads, but one byte a second: each 64 KiB write waits for room longer than the timeout.
  const auto give_up = steady::now() + 20s;
  std::size_t read = 0;
  while (f.state.producers_finished == 0 && steady::now() < give_up) {
    client.read_exactly(1);
    ++read;
    std::this_thread::sleep_for(1s);
  }
  CHECK(f.state.producers_finished == 1);
  CHECK(f.state.last_failure() == "the client did not take the stream within the write timeout");
  MESSAGE("bytes read before the timeout: " << read);
}

TEST_CASE("a stream that ignores the drain is closed at the drain deadline") {
  fixture f;
  ar::server_settings settings = ar::testing::test_settings();
  settings.timeouts.drain = 1s;
  server_type server(app_factory{&f.state, f.file_path}, settings);
  raw_client client(server.port());
  REQUIRE(client.send(get("/ignores-stop")));
  REQUIRE(client.read_line().rfind("HTTP/1.1 200", 0) == 0);
  const auto started = steady::now();
  server.stop();
  const auto took = steady::now() - started;
  CHECK(took >= 900ms);
  CHECK(took < 5s);
  const std::string rest = client.read_until_closed();
  CHECK(rest.find("0\r\n\r\n") == std::string::npos);
}

TEST_CASE("a file is sent whole with its length, after earlier pipelined responses, and HEAD gets the head") {
  fixture f;
  server_type server(app_factory{&f.state, f.file_path});
  raw_client client(server.port());
  REQUIRE(client.send(get("/text") + get("/file") + get("/file", "HTTP/1.1", "HEAD") + get("/text")));
  CHECK(client.read_response().body == "plain");
  const http_reply whole = client.read_response();
  CHECK(whole.status == 200);
  CHECK(whole.header("Content-Length") == std::to_string(file_size));
  CHECK(whole.header("Content-Type") == "application/octet-stream");
  CHECK(whole.body == contents_of(f.file_path));
  const http_reply head = client.read_response(true);
  CHECK(head.header("Content-Length") == std::to_string(file_size));
  CHECK(client.read_response().body == "plain");
}

TEST_CASE("a missing file or a folder is 404, as problem+json") {
  fixture f;
  server_type server(app_factory{&f.state, f.file_path});
  raw_client client(server.port());
  REQUIRE(client.send(get("/missing")));
  http_reply reply = client.read_response();
  CHECK(reply.status == 404);
  CHECK(reply.header("Content-Type") == "application/problem+json");
  REQUIRE(client.send(get("/folder")));
  reply = client.read_response();
  CHECK(reply.status == 404);
  // A FIFO no one writes to: refused at once, not waited on with the server's thread.
  const auto fifo = std::filesystem::temp_directory_path() / ("asyncrest_fifo_" + std::to_string(::getpid()));
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  REQUIRE(client.send(get("/fifo" + fifo.string())));
  reply = client.read_response();
  CHECK(reply.status == 404);
  std::filesystem::remove(fifo);
  REQUIRE(client.send(get("/text")));
  CHECK(client.read_response().body == "plain");
}

TEST_CASE("a client that leaves in the middle of a file does not harm the server") {
  fixture f;
  server_type server(app_factory{&f.state, f.file_path});
  for (int round = 0; round < 5; ++round) {
    raw_client client(server.port(), 10s, 32 * 1024);
    REQUIRE(client.send(get("/file")));
    client.read_exactly(64 * 1024);
  }
  raw_client client(server.port());
  REQUIRE(client.send(get("/file")));
  CHECK(client.read_response().body.size() == file_size);
}

TEST_CASE("a file to a reader too slow for the write timeout is closed") {
  fixture f;
  // Larger than what the socket buffers of a loopback connection hold (4 MiB of send buffer).
  constexpr std::size_t large_size = 32 * 1024 * 1024;
  const std::filesystem::path large = make_test_file(large_size);
  ar::server_settings settings = ar::testing::test_settings();
  settings.timeouts.write = 1s;
  server_type server(app_factory{&f.state, large}, settings);
  raw_client client(server.port(), 10s, 32 * 1024);
  REQUIRE(client.send(get("/file")));
  std::this_thread::sleep_for(2500ms);                      // past the write timeout, reading nothing
  const std::string received = client.read_until_closed();  // what was in flight, then the close
  MESSAGE("bytes received of " << large_size << ": " << received.size());
  CHECK(received.size() < large_size);
  std::filesystem::remove(large);
}
