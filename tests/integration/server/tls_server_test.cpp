// HTTPS on the server, over real sockets, with a CA made at test time: the project's client and
// curl get answers (ALPN http/1.1), streams, files and upgrades go through TLS, plain HTTP or
// garbage on the TLS port is closed without harm, a client that never finishes its handshake is
// closed at the handshake deadline, and a drain ends the TLS connections.
#include <asyncrest/asyncrest.hpp>

#include <doctest/doctest.h>
#include <support/client_runner.hpp>
#include <support/raw_client.hpp>
#include <support/test_certificates.hpp>
#include <support/test_server.hpp>

#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

namespace ar = asyncrest;
using namespace std::chrono_literals;
using ar::testing::raw_client;
using ar::testing::run_client;
using ar::testing::test_certificates;
using ar::testing::test_server;

namespace {

using steady = std::chrono::steady_clock;

std::string big_text() {
  std::string text;
  for (int line = 0; text.size() < 300 * 1024; ++line) text += "line " + std::to_string(line) + "\n";
  return text;
}

auto make_app(std::filesystem::path file_path) {
  return ar::app{ar::routes(ar::get<"/hello">([](ar::request&) { return ar::text("hello over TLS"); }),
                            ar::post<"/echo">([](ar::request& req) { return ar::text(std::string(req.body())); }),
                            ar::get<"/file">([file_path](ar::request&) { return ar::file(file_path, "text/plain"); }),
                            ar::get<"/stream">([](ar::request&) {
                              return ar::stream(
                                  [](ar::body_writer& out) -> ar::task<void> {
                                    for (int piece = 0; piece < 1000; ++piece)
                                      co_await out.write("piece " + std::to_string(piece) + "\n");
                                  },
                                  "text/plain");
                            }),
                            ar::get<"/echo-lines">([](ar::request&) {
                              return ar::upgrade("line-echo", [](ar::upgraded_connection& peer) -> ar::task<void> {
                                std::array<char, 256> bytes;
                                while (const std::size_t received = co_await peer.read_some(bytes)) {
                                  if (!co_await peer.write("echo: " + std::string(bytes.data(), received))) break;
                                }
                              });
                            }))};
}

struct app_factory {
  std::filesystem::path file_path;
  auto operator()() const { return make_app(file_path); }
};
using server_type = test_server<app_factory>;

struct fixture {
  test_certificates certificates;
  std::filesystem::path file_path =
      std::filesystem::temp_directory_path() / ("asyncrest_tls_test_" + std::to_string(::getpid()) + ".txt");
  fixture() { std::ofstream(file_path) << big_text(); }
  ~fixture() { std::filesystem::remove(file_path); }

  [[nodiscard]] ar::server_settings settings() const {
    ar::server_settings result = certificates.server_tls_settings();
    result.tls.handshake_timeout = 1s;
    return result;
  }
};

/// Runs `command`, returning what it wrote to stdout and stderr, and its exit status.
std::pair<std::string, int> capture(const std::string& command) {
  std::string output;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::array<char, 4096> chunk;
  while (const std::size_t read = std::fread(chunk.data(), 1, chunk.size(), pipe)) output.append(chunk.data(), read);
  const int status = ::pclose(pipe);
  return {output, status};
}

std::string url(const server_type& server, std::string_view path) {
  return "https://localhost:" + std::to_string(const_cast<server_type&>(server).port()) + std::string(path);
}

}  // namespace

TEST_CASE("the project's client talks to the TLS server: plain, posted, streamed and file bodies") {
  fixture f;
  server_type server(app_factory{f.file_path}, f.settings());
  run_client({.tls = {.ca_file = f.certificates.ca_file()}}, [&](ar::client& http) -> ar::task<void> {
    CHECK((co_await http.get(url(server, "/hello"))).body == "hello over TLS");
    CHECK((co_await http.get(url(server, "/hello"))).body == "hello over TLS");  // kept alive
    const std::string large(200 * 1024, 'p');
    CHECK((co_await http.post(url(server, "/echo"), large, "text/plain")).body == large);
    std::string expected;
    for (int piece = 0; piece < 1000; ++piece) expected += "piece " + std::to_string(piece) + "\n";
    CHECK((co_await http.get(url(server, "/stream"))).body == expected);
    CHECK((co_await http.get(url(server, "/file"))).body == big_text());
  });
}

TEST_CASE("curl talks to the TLS server, which picks http/1.1 by ALPN") {
  fixture f;
  server_type server(app_factory{f.file_path}, f.settings());
  const auto [output, status] =
      capture("curl -sS -v --cacert " + f.certificates.ca_file() + " " + url(server, "/hello"));
  REQUIRE(status == 0);
  CHECK(output.find("hello over TLS") != std::string::npos);
  CHECK(output.find("ALPN: server accepted http/1.1") != std::string::npos);
  const auto [file_output, file_status] =
      capture("curl -sS --cacert " + f.certificates.ca_file() + " " + url(server, "/file"));
  CHECK(file_status == 0);
  CHECK(file_output == big_text());
  // A TLS 1.1 client is refused by the server, which answers with a protocol_version alert (the
  // client's own security level lowered so that it would offer 1.1 at all).
  const auto [old_output, old_status] = capture(
      "openssl s_client -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' -connect 127.0.0.1:" + std::to_string(server.port()) +
      " </dev/null");
  CHECK(old_status != 0);
  CHECK(old_output.find("alert protocol version") != std::string::npos);
}

TEST_CASE("an upgraded connection speaks through TLS") {
  fixture f;
  server_type server(app_factory{f.file_path}, f.settings());
  const auto [output, status] = capture(
      "(printf 'GET /echo-lines HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: Upgrade\\r\\nUpgrade: "
      "line-echo\\r\\n\\r\\n"
      "hello\\n'; sleep 1) | openssl s_client -quiet -no_ign_eof -connect 127.0.0.1:" +
      std::to_string(server.port()) + " -servername localhost -CAfile " + f.certificates.ca_file() + " 2>/dev/null");
  (void)status;
  CHECK(output.find("HTTP/1.1 101 Switching Protocols") != std::string::npos);
  CHECK(output.find("echo: hello") != std::string::npos);
}

TEST_CASE("plain HTTP, garbage and a silent client on the TLS port are closed, and the server goes on") {
  fixture f;
  server_type server(app_factory{f.file_path}, f.settings());
  {
    raw_client plain(server.port());
    REQUIRE(plain.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
    CHECK(plain.closed_by_server());
  }
  {
    raw_client garbage(server.port());
    garbage.send(std::string(4096, '\x16'));
    CHECK(garbage.closed_by_server());
  }
  {
    raw_client silent(server.port());
    const auto started = steady::now();
    CHECK(silent.closed_by_server(10s));  // at the handshake deadline, 1 s
    CHECK(steady::now() - started < 5s);
  }
  const auto [output, status] = capture("curl -sS --cacert " + f.certificates.ca_file() + " " + url(server, "/hello"));
  CHECK(status == 0);
  CHECK(output == "hello over TLS");
}

TEST_CASE("a drain closes idle TLS connections at once") {
  fixture f;
  server_type server(app_factory{f.file_path}, f.settings());
  std::thread client_thread([&] {
    run_client({.tls = {.ca_file = f.certificates.ca_file()}}, [&](ar::client& http) -> ar::task<void> {
      CHECK((co_await http.get(url(server, "/hello"))).body == "hello over TLS");
    });
  });
  client_thread.join();
  raw_client idle(server.port());  // not even a handshake
  const auto started = steady::now();
  server.stop();
  CHECK(steady::now() - started < 3s);
}
