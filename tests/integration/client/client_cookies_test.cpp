// The client's session features over real sockets against asyncrest's own server: a cookie jar
// through a login and a logout, cookies set along a redirect chain, credentials (Authorization,
// Cookie set by hand, the jar's cookies) kept on the origin and dropped when a redirect leaves
// it, and a base URL with default headers and per-client authentication.
#include <asyncrest/client/client.hpp>
#include <asyncrest/client/cookie_jar.hpp>

#include <asyncrest/asyncrest.hpp>

#include <doctest/doctest.h>
#include <support/client_runner.hpp>
#include <support/test_certificates.hpp>
#include <support/test_server.hpp>

#include <asio/io_context.hpp>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

namespace ar = asyncrest;
using ar::testing::run_client;
using ar::testing::test_certificates;
using ar::testing::test_server;

namespace {

ar::response echo_credentials(ar::request& req) {
  return ar::text("authorization=" + std::string(req.header("Authorization").value_or("none")) +
                  " cookie=" + std::string(req.header("Cookie").value_or("none")) +
                  " default=" + std::string(req.header("X-Default").value_or("none")));
}

/// The other origin: "localhost" rather than 127.0.0.1, so that neither the origin nor the host
/// (which is what cookies are kept per) is the first server's.
auto make_other_app() { return ar::app{ar::routes(ar::get<"/echo">(echo_credentials))}; }

auto make_app(const std::uint16_t* other_port) {
  return ar::app{ar::routes(ar::post<"/login">([](ar::request&) {
                              ar::response res = ar::text("welcome");
                              res.set_cookie("session", "s3", {.http_only = true});
                              res.set_cookie("theme", "dark", {.path = "/account"});
                              return res;
                            }),
                            ar::post<"/secure-login">([](ar::request&) {
                              ar::response res = ar::text("welcome");
                              res.set_cookie("token", "t1", {.secure = true});
                              return res;
                            }),
                            ar::post<"/logout">([](ar::request&) {
                              ar::response res = ar::text("bye");
                              res.delete_cookie("session");
                              return res;
                            }),
                            ar::get<"/me">([](ar::request& req) {
                              if (req.cookie("session") != "s3")
                                return ar::text("who are you?", ar::status::unauthorized);
                              return ar::text("ada");
                            }),
                            ar::get<"/account/settings">([](ar::request& req) {
                              return ar::text(std::string(req.header("Cookie").value_or("none")));
                            }),
                            ar::get<"/chain/{count:int}">([](ar::request& req, std::int64_t count) {
                              if (count == 0) return ar::text(std::string(req.header("Cookie").value_or("none")));
                              ar::response res = ar::redirect("/chain/" + std::to_string(count - 1), ar::status::found);
                              res.set_cookie("hop" + std::to_string(count), "1");
                              return res;
                            }),
                            ar::get<"/echo">(echo_credentials),
                            ar::get<"/stay">([](ar::request&) { return ar::redirect("/echo", ar::status::found); }),
                            ar::get<"/leave">([other_port](ar::request&) {
                              ar::response res = ar::redirect(
                                  "http://localhost:" + std::to_string(*other_port) + "/echo", ar::status::found);
                              res.set_cookie("visited", "yes");
                              return res;
                            }),
                            ar::get<"/v1/users/{id:int}">(
                                [](ar::request&, std::int64_t id) { return ar::text("user " + std::to_string(id)); }),
                            ar::get<"/health">([](ar::request&) { return ar::text("healthy"); }))};
}

struct main_factory {
  const std::uint16_t* other_port;
  auto operator()() const { return make_app(other_port); }
};

struct servers {
  test_server<decltype(&make_other_app)> other{&make_other_app};
  std::uint16_t other_port = other.port();
  test_server<main_factory> main{main_factory{&other_port}};

  [[nodiscard]] std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(main.port()) + path;
  }
};

}  // namespace

TEST_CASE("a login sets a cookie the next call needs; a logout deletes it") {
  servers f;
  run_client({}, [&](ar::client& http) -> ar::task<void> {  // no jar: nothing is kept
    co_await http.post(f.url("/login"), "");
    auto me = co_await http.get(f.url("/me"));
    CHECK(me.status == ar::status::unauthorized);
  });

  auto jar = std::make_shared<ar::cookie_jar>();
  run_client({.cookies = jar}, [&](ar::client& http) -> ar::task<void> {
    auto login = co_await http.post(f.url("/login"), "");
    CHECK(login.body == "welcome");
    auto me = co_await http.get(f.url("/me"));
    CHECK(me.status == ar::status::ok);
    CHECK(me.body == "ada");
    auto settings = co_await http.get(f.url("/account/settings"));
    CHECK(settings.body == "theme=dark; session=s3");  // the longer path first
    co_await http.post(f.url("/logout"), "");
    auto after = co_await http.get(f.url("/me"));
    CHECK(after.status == ar::status::unauthorized);
  });
  CHECK(jar->size() == 1);
  CHECK(jar->get(f.url("/account/x"), "theme") == "dark");
}

TEST_CASE("cookies set along a redirect chain reach its later hops") {
  servers f;
  auto jar = std::make_shared<ar::cookie_jar>();
  run_client({.redirects = {.max_redirects = 5}, .cookies = jar}, [&](ar::client& http) -> ar::task<void> {
    auto landed = co_await http.get(f.url("/chain/3"));
    CHECK(landed.body == "hop3=1; hop2=1; hop1=1");
  });
  CHECK(jar->size() == 3);
}

TEST_CASE("credentials stay on their origin: kept on a same-origin redirect, dropped when one leaves") {
  servers f;
  auto jar = std::make_shared<ar::cookie_jar>();
  jar->add({.name = "jarred", .value = "1", .domain = "127.0.0.1"});
  run_client({.redirects = {.max_redirects = 3}, .cookies = jar}, [&](ar::client& http) -> ar::task<void> {
    ar::headers credentials;
    credentials.set("Authorization", ar::basic_authorization("ada", "pw")).set("Cookie", "manual=1");
    auto stayed = co_await http.get(f.url("/stay"), credentials);
    CHECK(stayed.body == "authorization=Basic YWRhOnB3 cookie=manual=1; jarred=1 default=none");
    auto left = co_await http.get(f.url("/leave"), credentials);
    CHECK(left.url.starts_with("http://localhost:"));
    CHECK(left.body == "authorization=none cookie=none default=none");
  });
  CHECK(jar->get(f.url("/"), "visited") == "yes");  // the redirect's own cookie was kept

  // A client's default Authorization is a credential too.
  run_client({.redirects = {.max_redirects = 3},
              .default_headers = ar::headers().set("Authorization", ar::bearer_authorization("t0ken"))},
             [&](ar::client& http) -> ar::task<void> {
               auto stayed = co_await http.get(f.url("/stay"));
               CHECK(stayed.body == "authorization=Bearer t0ken cookie=none default=none");
               auto left = co_await http.get(f.url("/leave"));
               CHECK(left.body == "authorization=none cookie=none default=none");
             });
}

TEST_CASE("a base URL and default headers") {
  servers f;
  ar::client_settings settings{
      .base_url = f.url("/v1/"),
      .default_headers =
          ar::headers().set("X-Default", "yes").set("Authorization", ar::bearer_authorization("client-token")),
  };
  run_client(settings, [&](ar::client& http) -> ar::task<void> {
    auto relative = co_await http.get("users/7");
    CHECK(relative.body == "user 7");
    CHECK(relative.url == f.url("/v1/users/7"));
    auto absolute_path = co_await http.get("/health");
    CHECK(absolute_path.body == "healthy");
    auto dotted = co_await http.get("../v1/./users/8");
    CHECK(dotted.body == "user 8");
    auto defaults = co_await http.get("/echo");
    CHECK(defaults.body == "authorization=Bearer client-token cookie=none default=yes");
    auto overridden = co_await http.get("/echo", ar::headers().set("Authorization", ar::basic_authorization("a", "b")));
    CHECK(overridden.body == "authorization=Basic YTpi cookie=none default=yes");
    auto elsewhere = co_await http.get("http://localhost:" + std::to_string(f.other_port) + "/echo");  // absolute wins
    CHECK(elsewhere.url.starts_with("http://localhost:"));
  });

  run_client({}, [&](ar::client& http) -> ar::task<void> {
    auto refused = co_await http.try_get("/health");
    REQUIRE_FALSE(refused);
    CHECK(refused.error() == ar::client_errc::invalid_url);
    CHECK(refused.error_details().message.find("base_url") != std::string::npos);
  });
  asio::io_context io;
  CHECK_THROWS_AS(ar::client(io, {.base_url = "ftp://nope/"}), std::invalid_argument);
}

TEST_CASE("a Secure cookie comes from https only and goes back over https only") {
  if (!ar::detail::client_has_tls) {
    MESSAGE("skipped: this build has no TLS (asyncrest::tls needs OpenSSL)");
    return;
  }
  servers f;
  test_certificates certificates;  // for "localhost"
  test_server<main_factory> secure{main_factory{&f.other_port}, certificates.server_tls_settings()};
  const std::string over_tls = "https://localhost:" + std::to_string(secure.port());
  const std::string plain = "http://localhost:" + std::to_string(f.main.port());
  auto jar = std::make_shared<ar::cookie_jar>();
  run_client({.tls = {.ca_file = certificates.ca_file()}, .cookies = jar}, [&](ar::client& http) -> ar::task<void> {
    co_await http.post(plain + "/secure-login", "");
    CHECK(jar->size() == 0);  // a plain response cannot set it
    co_await http.post(over_tls + "/secure-login", "");
    auto secure_echo = co_await http.get(over_tls + "/echo");
    CHECK(secure_echo.body == "authorization=none cookie=token=t1 default=none");
    auto plain_echo = co_await http.get(plain + "/echo");  // the same host, without TLS
    CHECK(plain_echo.body == "authorization=none cookie=none default=none");
  });
  CHECK(jar->size() == 1);
}
