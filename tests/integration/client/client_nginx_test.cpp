// The HTTP client against a third-party server, Debian's nginx, started by the fixture on free
// ports: keep-alive reuse, redirects, static files read whole and streamed, chunked gzip, and
// HTTPS with a CA and certificate made at test time: trusted (whole and streamed bodies),
// untrusted, wrong host name.
#include <asyncrest/client/client.hpp>
#include <asyncrest/client/gather.hpp>

#include <doctest/doctest.h>
#include <support/client_runner.hpp>
#include <support/nginx_server.hpp>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>

#include <exception>
#include <fstream>
#include <set>
#include <string>
#include <vector>

namespace ar = asyncrest;
using ar::testing::run_client;
using namespace std::chrono_literals;

namespace {

const char* const locations = R"(
    location = /hello { default_type text/plain; return 200 "hello from nginx"; }
    location = /connection { default_type text/plain; return 200 "$connection"; }
    location = /moved { return 301 /hello; }
    location /files/ { gzip on; gzip_types text/plain; gzip_min_length 1; }
)";

std::string file_body() {
  std::string text;
  for (int line = 0; line < 20000; ++line) text += "line " + std::to_string(line) + " of a static file\n";
  return text;
}

void write_files(const ar::testing::nginx_server& nginx) {
  std::filesystem::create_directories(nginx.root() / "files");
  std::ofstream(nginx.root() / "files" / "big.txt") << file_body();
}

}  // namespace

TEST_CASE("nginx: keep-alive reuse, redirects, whole and streamed static files, chunked gzip") {
  ar::testing::nginx_server nginx(locations);
  write_files(nginx);
  run_client({.redirects = {.max_redirects = 3}}, [&](ar::client& http) -> ar::task<void> {
    std::set<std::string> connections;
    for (int index = 0; index < 10; ++index) connections.insert((co_await http.get(nginx.url("/connection"))).body);
    CHECK(connections.size() == 1);

    auto moved = co_await http.get(nginx.url("/moved"));
    CHECK(moved.body == "hello from nginx");
    CHECK(moved.url == nginx.url("/hello"));

    auto whole = co_await http.get(nginx.url("/files/big.txt"));
    CHECK(whole.body == file_body());
    CHECK(whole.headers.get("Server").value_or("").starts_with("nginx"));

    auto stream = co_await http.stream({ar::method::get, nginx.url("/files/big.txt")});
    std::string streamed;
    for (std::string_view piece = co_await stream.read_some(); !piece.empty(); piece = co_await stream.read_some()) {
      streamed.append(piece);
    }
    CHECK(streamed == file_body());

    ar::headers accept_gzip;
    accept_gzip.set("Accept-Encoding", "gzip");
    // Decompression off for this request: the body as nginx sent it.
    ar::client_request as_sent{ar::method::get, nginx.url("/files/big.txt"), accept_gzip};
    as_sent.decompress = false;
    auto gzipped = co_await http.request(std::move(as_sent));
    CHECK(gzipped.headers.get("Transfer-Encoding") == "chunked");
    CHECK(gzipped.headers.get("Content-Encoding") == "gzip");
    REQUIRE(gzipped.body.size() > 2);
    CHECK(static_cast<unsigned char>(gzipped.body[0]) == 0x1f);  // the gzip magic, framing intact
    CHECK(static_cast<unsigned char>(gzipped.body[1]) == 0x8b);
    CHECK(gzipped.body.size() < file_body().size());
    // By default the client asks for gzip and decodes it.
    auto decoded = co_await http.get(nginx.url("/files/big.txt"), accept_gzip);
    CHECK(decoded.headers.get("Content-Encoding") == std::nullopt);
    CHECK(decoded.body == file_body());

    ar::client_request head_request{ar::method::head, nginx.url("/files/big.txt")};
    head_request.decompress = false;  // nginx's gzip would drop the length of a HEAD
    auto head = co_await http.request(std::move(head_request));
    CHECK(head.body.empty());
    CHECK(head.headers.get("Content-Length") == std::to_string(file_body().size()));

    connections.insert((co_await http.get(nginx.url("/connection"))).body);
    CHECK(connections.size() == 1);  // every exchange above left the connection reusable
  });
}

TEST_CASE("nginx over HTTPS: verified by default, with a CA file, host names checked") {
  ar::testing::nginx_server nginx(locations, true);
  const std::string by_name = "https://localhost:" + std::to_string(nginx.tls_port()) + "/hello";
  const std::string by_address = "https://127.0.0.1:" + std::to_string(nginx.tls_port()) + "/hello";

  if (!ar::detail::client_has_tls) {
    run_client({}, [&](ar::client& http) -> ar::task<void> {
      auto refused = co_await http.try_get(by_name);
      CHECK(refused.error() == ar::client_errc::tls_unavailable);
    });
    FAIL("built without asyncrest::tls: OpenSSL was not found (cmake/install-dependencies.sh installs libssl-dev)");
    return;
  }

  write_files(nginx);
  run_client({.tls = {.ca_file = nginx.ca_file()}}, [&](ar::client& http) -> ar::task<void> {
    auto trusted = co_await http.get(by_name);
    CHECK(trusted.body == "hello from nginx");
    const std::string file_url = "https://localhost:" + std::to_string(nginx.tls_port()) + "/files/big.txt";
    CHECK((co_await http.get(file_url)).body == file_body());
    auto stream = co_await http.stream({ar::method::get, file_url});
    std::string streamed;
    for (std::string_view piece = co_await stream.read_some(); !piece.empty(); piece = co_await stream.read_some()) {
      streamed.append(piece);
    }
    CHECK(streamed == file_body());
    std::set<std::string> connections;
    const std::string connection_url = "https://localhost:" + std::to_string(nginx.tls_port()) + "/connection";
    for (int index = 0; index < 5; ++index) connections.insert((co_await http.get(connection_url)).body);
    CHECK(connections.size() == 1);  // TLS connections are pooled too

    auto wrong_name = co_await http.try_get(by_address);  // the certificate names localhost only
    REQUIRE(!wrong_name);
    CHECK(wrong_name.error() == ar::client_errc::tls_failed);
    CHECK_THROWS_AS(wrong_name.value(), ar::tls_error);
    CHECK(wrong_name.error_details().message.find("certificate verification failed") != std::string::npos);
  });

  run_client({}, [&](ar::client& http) -> ar::task<void> {
    auto untrusted = co_await http.try_get(by_name);  // the test CA is not in the system's store
    REQUIRE(!untrusted);
    CHECK(untrusted.error() == ar::client_errc::tls_failed);
    CHECK_THROWS_AS(untrusted.value(), ar::connect_error);
  });

  run_client({.tls = {.verify = false}}, [&](ar::client& http) -> ar::task<void> {
    CHECK((co_await http.get(by_address)).body == "hello from nginx");
  });
}
