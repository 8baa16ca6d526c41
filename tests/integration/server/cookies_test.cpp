// Cookies over real sockets: the Cookie field as handlers read it, Set-Cookie fields as they leave
// the server, a handler's attempt to inject a field through a cookie answered with 500 and no
// Set-Cookie, and signed cookies sent back by the client as they were, changed, or forged.
#include <asyncrest/asyncrest.hpp>

#include <support/raw_client.hpp>
#include <support/test_server.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ar = asyncrest;
using asyncrest::testing::http_reply;
using asyncrest::testing::test_server;

namespace {

std::string all_cookies(const ar::request& req) {
  std::string shown;
  for (const ar::received_cookie& each : req.cookies())
    shown += "[" + std::string(each.name) + "=" + std::string(each.value) + "]";
  return shown;
}

#if defined(ASYNCREST_WITH_OPENSSL) && ASYNCREST_WITH_OPENSSL
const ar::cookie_signer& signer() {
  static const ar::cookie_signer keys{
      {"a key of 32 bytes or more, for tests only", "the previous key, still accepted!"}};
  return keys;
}
#endif

auto make_app() {
  return ar::app {
    ar::routes(ar::get<"/show">([](ar::request& req) -> ar::response {
                 return ar::text(std::string(req.cookie("theme").value_or("<none>")) + " " + all_cookies(req));
               }),
               ar::post<"/login">([](ar::request&) -> ar::task<ar::response> {
                 ar::response res = ar::text("welcome");
                 res.set_cookie("theme", "dark", {.max_age = std::chrono::hours(24)});
                 res.set_cookie("__Host-session", "abc123", {.secure = true, .same_site = ar::same_site::strict});
                 co_return res;
               }),
               ar::post<"/logout">([]() -> ar::response {
                 ar::response res = ar::text("bye");
                 res.delete_cookie("theme");
                 return res;
               }),
               // Echoes a query parameter into a cookie, as a careless handler might.
               ar::get<"/echo">([](ar::request& req) -> ar::response {
                 ar::response res = ar::text("set");
                 res.set_cookie("echo", req.query("value").value_or(""));
                 return res;
               })
#if defined(ASYNCREST_WITH_OPENSSL) && ASYNCREST_WITH_OPENSSL
                   ,
               ar::post<"/signed">([](ar::request& req) -> ar::response {
                 ar::response res = ar::text("signed");
                 signer().set_cookie(res, "user", std::string(req.body()));
                 return res;
               }),
               ar::get<"/whoami">([](ar::request& req) -> ar::response {
                 return ar::text(signer().cookie(req, "user").value_or("<anonymous>"));
               })
#endif
    )
  };
}

http_reply send(std::uint16_t port, std::string_view method, std::string_view target, std::string_view fields = "",
                std::string_view body = "") {
  std::string request =
      std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: localhost\r\n" + std::string(fields);
  if (!body.empty() || method == "POST") request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  return asyncrest::testing::exchange(port, request + "\r\n" + std::string(body));
}

std::vector<std::string> set_cookies(const http_reply& reply) {
  std::vector<std::string> values;
  for (const auto& [name, value] : reply.headers) {
    if (name == "Set-Cookie") values.push_back(value);
  }
  return values;
}

/// The value a Set-Cookie field sets: between the first '=' and the first ';'.
std::string value_set(const std::string& field) {
  const std::size_t equals = field.find('=');
  return field.substr(equals + 1, field.find(';') - equals - 1);
}

}  // namespace

TEST_CASE("handlers read the Cookie field as browsers send it") {
  test_server server{&make_app};
  const std::uint16_t port = server.port();
  CHECK(send(port, "GET", "/show", "Cookie: theme=light; lang=en\r\n").body == "light [theme=light][lang=en]");
  CHECK(send(port, "GET", "/show", "Cookie: lang=\"fr\";theme=dark\r\n").body == "dark [lang=fr][theme=dark]");
  CHECK(send(port, "GET", "/show", "Cookie: a=1\r\nCookie: theme=split\r\n").body == "split [a=1][theme=split]");
  CHECK(send(port, "GET", "/show", "Cookie: ;;junk; =x; theme=ok;\r\n").body == "ok [theme=ok]");
  CHECK(send(port, "GET", "/show").body == "<none> ");
}

TEST_CASE("Set-Cookie fields leave as set, one per cookie") {
  test_server server{&make_app};
  const http_reply login = send(server.port(), "POST", "/login");
  CHECK(set_cookies(login) ==
        std::vector<std::string>{"theme=dark; Path=/; Max-Age=86400; HttpOnly; SameSite=Lax",
                                 "__Host-session=abc123; Path=/; Secure; HttpOnly; SameSite=Strict"});
  const http_reply logout = send(server.port(), "POST", "/logout");
  CHECK(set_cookies(logout) ==
        std::vector<std::string>{"theme=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; "
                                 "SameSite=Lax"});
}

TEST_CASE("a cookie value that would inject attributes or fields is refused: 500, and no Set-Cookie") {
  test_server server{&make_app};
  const std::uint16_t port = server.port();
  CHECK(set_cookies(send(port, "GET", "/echo?value=plain")) ==
        std::vector<std::string>{"echo=plain; Path=/; HttpOnly; SameSite=Lax"});
  for (const std::string_view attack :
       {"x%0D%0ASet-Cookie:%20admin=1", "x%0ALocation:%20https://evil.example", "x;%20Domain=evil.example",
        "x%3B%20Max-Age=999999999", "two%20words", "%22quoted%3Bvalue%22", "%01", "caf%C3%A9"}) {
    CAPTURE(attack);
    const http_reply reply = send(port, "GET", "/echo?value=" + std::string(attack));
    CHECK(reply.status == 500);
    CHECK(set_cookies(reply).empty());
    CHECK_FALSE(reply.header("Location"));
  }
  // The connection and the server are fine afterwards.
  CHECK(send(port, "GET", "/show", "Cookie: theme=still\r\n").body == "still [theme=still]");
}

#if defined(ASYNCREST_WITH_OPENSSL) && ASYNCREST_WITH_OPENSSL
TEST_CASE("a signed cookie comes back as set; changed or forged, it reads as absent") {
  test_server server{&make_app};
  const std::uint16_t port = server.port();
  const std::vector<std::string> fields = set_cookies(send(port, "POST", "/signed", "", "ada; role=admin"));
  REQUIRE(fields.size() == 1);
  const std::string value = value_set(fields[0]);

  CHECK(send(port, "GET", "/whoami", "Cookie: user=" + value + "\r\n").body == "ada; role=admin");
  CHECK(send(port, "GET", "/whoami", "Cookie: user=\"" + value + "\"\r\n").body == "ada; role=admin");

  std::string changed = value;
  changed[2] = changed[2] == 'A' ? 'B' : 'A';
  CHECK(send(port, "GET", "/whoami", "Cookie: user=" + changed + "\r\n").body == "<anonymous>");
  CHECK(send(port, "GET", "/whoami", "Cookie: user=ada\r\n").body == "<anonymous>");
  const std::string forged = ar::detail::base64url_encode("admin") + value.substr(value.rfind('.'));
  CHECK(send(port, "GET", "/whoami", "Cookie: user=" + forged + "\r\n").body == "<anonymous>");
  // A forged cookie of the same name before the real one (planted by a sibling subdomain) does
  // not hide it.
  CHECK(send(port, "GET", "/whoami", "Cookie: user=" + forged + "; user=" + value + "\r\n").body == "ada; role=admin");

  // Signed with the previous key, which the signer still accepts.
  const ar::cookie_signer previous{{"the previous key, still accepted!"}};
  CHECK(send(port, "GET", "/whoami", "Cookie: user=" + previous.sign("user", "grace") + "\r\n").body == "grace");
}
#endif
