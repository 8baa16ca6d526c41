// The client through a real HTTP proxy (Debian's tinyproxy): http:// requests in absolute form,
// https:// through a CONNECT tunnel with TLS to the origin inside it, proxy credentials, a proxy
// that refuses the tunnel (403, 407), and the proxy taken from the environment when allowed.
// Skipped, saying why, when tinyproxy is not installed (cmake/install-dependencies.sh --ci).
#include <asyncrest/client/client.hpp>

#include <asyncrest/asyncrest.hpp>

#include <doctest/doctest.h>
#include <support/client_runner.hpp>
#include <support/test_certificates.hpp>
#include <support/test_server.hpp>
#include <support/tinyproxy_server.hpp>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>

namespace ar = asyncrest;
using ar::testing::run_client;
using ar::testing::test_certificates;
using ar::testing::test_server;
using ar::testing::tinyproxy_server;

namespace {

auto make_app() {
  return ar::app{ar::routes(ar::get<"/where">([](ar::request& req) {
    // tinyproxy adds "Via: 1.1 tinyproxy (...)" to what it forwards; a tunnel carries bytes only.
    return ar::text("via=" + std::string(req.header("Via").value_or("none")) +
                    " auth=" + std::string(req.header("Proxy-Authorization").value_or("none")));
  }))};
}

std::string plain_url(std::uint16_t port, const char* path) {
  return "http://127.0.0.1:" + std::to_string(port) + path;
}
// The certificate is for "localhost" only.
std::string tls_url(std::uint16_t port, const char* path) { return "https://localhost:" + std::to_string(port) + path; }

/// A port nothing listens on: bound, then closed.
std::uint16_t closed_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::address_v4::loopback(), 0});
  return acceptor.local_endpoint().port();
}

/// Sets an environment variable for the length of a scope.
struct scoped_variable {
  scoped_variable(const char* name, const std::string& value) : name_(name) { ::setenv(name, value.c_str(), 1); }
  ~scoped_variable() { ::unsetenv(name_); }
  scoped_variable(const scoped_variable&) = delete;
  scoped_variable& operator=(const scoped_variable&) = delete;

 private:
  const char* name_;
};

}  // namespace

TEST_CASE("http:// and https:// through tinyproxy, and a proxy that refuses") {
  if (!tinyproxy_server::installed()) {
    MESSAGE("skipped: tinyproxy is not installed (cmake/install-dependencies.sh --ci installs it)");
    return;
  }
  test_server plain(make_app);
  test_certificates certificates;
  test_server secure(make_app, certificates.server_tls_settings());
  tinyproxy_server proxy({secure.port()});
  const ar::client_settings through_proxy{
      .tls = {.ca_file = certificates.ca_file()},
      .proxy = {.http = proxy.url(), .https = proxy.url()},
  };

  SUBCASE("http:// goes to the proxy in absolute form") {
    run_client(through_proxy, [&](ar::client& http) -> ar::task<void> {
      auto answer = co_await http.get(plain_url(plain.port(), "/where"));
      CHECK(answer.status == ar::status::ok);
      CHECK(answer.body.find("via=1.1 tinyproxy") != std::string::npos);
      CHECK(answer.body.find("auth=none") != std::string::npos);
    });
    CHECK(proxy.log().find("GET http://127.0.0.1:" + std::to_string(plain.port()) + "/where") != std::string::npos);
  }

  SUBCASE("https:// goes through a CONNECT tunnel, TLS verified against the origin's name") {
    run_client(through_proxy, [&](ar::client& http) -> ar::task<void> {
      auto first = co_await http.get(tls_url(secure.port(), "/where"));
      CHECK(first.body == "via=none auth=none");                          // end-to-end TLS: the proxy could add nothing
      auto second = co_await http.get(tls_url(secure.port(), "/where"));  // over the pooled tunnel
      CHECK(second.status == ar::status::ok);
      CHECK(http.statistics().open_connections == 1);
    });
    CHECK(proxy.log().find("CONNECT localhost:" + std::to_string(secure.port())) != std::string::npos);
  }

  SUBCASE("a tunnel to a port the proxy does not allow fails with proxy_refused, naming the status") {
    run_client(through_proxy, [&](ar::client& http) -> ar::task<void> {
      auto refused = co_await http.try_get(tls_url(plain.port(), "/where"));
      REQUIRE_FALSE(refused);
      CHECK(refused.error() == ar::client_errc::proxy_refused);
      CHECK(refused.error_details().message.find("403") != std::string::npos);
    });
  }

  SUBCASE("without a proxy, the same URLs are reached directly") {
    run_client({.tls = {.ca_file = certificates.ca_file()}}, [&](ar::client& http) -> ar::task<void> {
      auto answer = co_await http.get(plain_url(plain.port(), "/where"));
      CHECK(answer.body == "via=none auth=none");
    });
  }
}

TEST_CASE("a proxy that wants credentials: 407 without them, both schemes with them") {
  if (!tinyproxy_server::installed()) {
    MESSAGE("skipped: tinyproxy is not installed (cmake/install-dependencies.sh --ci installs it)");
    return;
  }
  test_server plain(make_app);
  test_certificates certificates;
  test_server secure(make_app, certificates.server_tls_settings());
  tinyproxy_server proxy({secure.port()}, "ada s3cret");

  run_client({.tls = {.ca_file = certificates.ca_file()}, .proxy = {.http = proxy.url(), .https = proxy.url()}},
             [&](ar::client& http) -> ar::task<void> {
               auto plain_answer = co_await http.get(plain_url(plain.port(), "/where"));
               CHECK(to_number(plain_answer.status) == 407);  // the proxy's own answer
               auto tunnel = co_await http.try_get(tls_url(secure.port(), "/where"));
               REQUIRE_FALSE(tunnel);
               CHECK(tunnel.error() == ar::client_errc::proxy_refused);
               CHECK(tunnel.error_details().message.find("407") != std::string::npos);
               CHECK(tunnel.error_details().message.find("credentials") != std::string::npos);
             });

  const std::string with_credentials = proxy.url("ada:s3cret@");
  run_client(
      {.tls = {.ca_file = certificates.ca_file()}, .proxy = {.http = with_credentials, .https = with_credentials}},
      [&](ar::client& http) -> ar::task<void> {
        auto plain_answer = co_await http.get(plain_url(plain.port(), "/where"));
        CHECK(plain_answer.status == ar::status::ok);
        CHECK(plain_answer.body.find("via=1.1 tinyproxy") != std::string::npos);
        auto tunnel = co_await http.get(tls_url(secure.port(), "/where"));
        CHECK(tunnel.body == "via=none auth=none");  // credentials went to the proxy only
      });
}

TEST_CASE("the proxy from HTTP_PROXY and NO_PROXY, only with from_environment") {
  if (!tinyproxy_server::installed()) {
    MESSAGE("skipped: tinyproxy is not installed (cmake/install-dependencies.sh --ci installs it)");
    return;
  }
  test_server plain(make_app);
  tinyproxy_server proxy({});
  scoped_variable http_proxy("http_proxy", proxy.url());

  run_client({}, [&](ar::client& http) -> ar::task<void> {
    auto answer = co_await http.get(plain_url(plain.port(), "/where"));
    CHECK(answer.body == "via=none auth=none");  // the environment is not trusted by default
  });
  run_client({.proxy = {.from_environment = true}}, [&](ar::client& http) -> ar::task<void> {
    auto answer = co_await http.get(plain_url(plain.port(), "/where"));
    CHECK(answer.body.find("via=1.1 tinyproxy") != std::string::npos);
  });
  scoped_variable no_proxy("NO_PROXY", "localhost, 127.0.0.1");
  run_client({.proxy = {.from_environment = true}}, [&](ar::client& http) -> ar::task<void> {
    auto answer = co_await http.get(plain_url(plain.port(), "/where"));
    CHECK(answer.body == "via=none auth=none");
  });
}

TEST_CASE("a proxy that cannot be reached is a connect error that says it was the proxy") {
  test_server plain(make_app);
  const std::string nowhere = "http://127.0.0.1:" + std::to_string(closed_port());
  run_client({.proxy = {.http = nowhere}}, [&](ar::client& http) -> ar::task<void> {
    auto outcome = co_await http.try_get(plain_url(plain.port(), "/where"));
    REQUIRE_FALSE(outcome);
    CHECK(outcome.error() == ar::client_errc::connect_failed);
    CHECK(outcome.error_details().message.find("cannot connect to the proxy " + nowhere) != std::string::npos);
  });
}
