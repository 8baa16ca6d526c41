// The CORS middleware over real sockets: preflights allowed and refused, for routes with and
// without an OPTIONS handler and paths the router would 404; actual requests with and without
// credentials, Vary, errors; wildcard and origin-rule policies; and curl's preflight.
#include <asyncrest/asyncrest.hpp>

#include <support/raw_client.hpp>
#include <support/test_server.hpp>

#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ar = asyncrest;
using asyncrest::testing::http_reply;
using asyncrest::testing::test_server;

namespace {

auto make_routes() {
  return ar::routes(ar::get<"/items">([]() -> ar::response { return ar::text("items"); }),
                    ar::put<"/items/{id:int}">([](std::int64_t id) -> ar::response {
                      ar::response res = ar::text("put " + std::to_string(id));
                      res.headers.set("X-Request-Id", "r-1");
                      return res;
                    }),
                    ar::get<"/compressed">([]() -> ar::response {
                      ar::response res = ar::text("varies");
                      res.headers.set("Vary", "Accept-Encoding");
                      return res;
                    }),
                    ar::get<"/boom">([](ar::request&) -> ar::task<ar::response> {
                      throw ar::http_error(ar::status::conflict, "conflict");
                      co_return ar::text("unreachable");
                    }),
                    ar::options<"/own">([]() -> ar::response { return ar::text("own options handler"); }));
}

ar::cors_settings credentialed_settings() {
  return {.allowed_origins = {"https://app.example", "http://localhost:5173"},
          .allowed_methods = {"GET", "PUT", "DELETE"},
          .allowed_headers = {"Authorization", "X-Trace"},
          .exposed_headers = {"X-Request-Id"},
          .allow_credentials = true,
          .max_age = std::chrono::seconds(300)};
}

auto make_credentialed_app() { return ar::app{make_routes(), ar::cors{credentialed_settings()}}; }
auto make_public_app() {
  return ar::app{make_routes(),
                 ar::cors{{.allowed_origins = {"*"}, .allowed_methods = {"*"}, .allowed_headers = {"*"}}}};
}
auto make_rule_app() {
  return ar::app{make_routes(),
                 ar::cors{{.allowed_methods = {"PUT"}, .allow_credentials = true}, [](std::string_view origin) {
                            return origin.starts_with("https://") && origin.ends_with(".example.com");
                          }}};
}

http_reply fetch(std::uint16_t port, std::string_view method, std::string_view target, std::string_view fields = "") {
  return asyncrest::testing::exchange(port, std::string(method) + " " + std::string(target) +
                                                " HTTP/1.1\r\nHost: api.example\r\n" + std::string(fields) + "\r\n");
}

http_reply preflight(std::uint16_t port, std::string_view target, std::string_view origin, std::string_view method,
                     std::string_view headers = "") {
  std::string fields =
      "Origin: " + std::string(origin) + "\r\nAccess-Control-Request-Method: " + std::string(method) + "\r\n";
  if (!headers.empty()) fields += "Access-Control-Request-Headers: " + std::string(headers) + "\r\n";
  return fetch(port, "OPTIONS", target, fields);
}

std::string field(const http_reply& reply, std::string_view name) { return reply.header(name).value_or("<absent>"); }

/// Whether the reply carries any Access-Control-* field.
bool has_cors_fields(const http_reply& reply) {
  for (const auto& [name, value] : reply.headers) {
    if (name.size() >= 15 && std::string_view(name).substr(0, 15) == "Access-Control-") return true;
  }
  return false;
}

}  // namespace

TEST_CASE("an allowed preflight is answered before routing, with what was allowed") {
  test_server server{&make_credentialed_app};
  const std::uint16_t port = server.port();

  SUBCASE("a route with no OPTIONS handler") {
    const http_reply reply = preflight(port, "/items/7", "https://app.example", "PUT", "authorization, x-trace");
    CHECK(reply.status == 204);
    CHECK(reply.body.empty());
    CHECK(field(reply, "Access-Control-Allow-Origin") == "https://app.example");
    CHECK(field(reply, "Access-Control-Allow-Credentials") == "true");
    CHECK(field(reply, "Access-Control-Allow-Methods") == "GET, PUT, DELETE");
    CHECK(field(reply, "Access-Control-Allow-Headers") ==
          "authorization, x-trace, accept, accept-language, content-language, content-type");
    CHECK(field(reply, "Access-Control-Max-Age") == "300");
    CHECK(field(reply, "Vary") == "Origin");
    CHECK(field(reply, "Allow") == "<absent>");  // not the router's automatic OPTIONS
  }
  SUBCASE("a method the path lacks, which the router would answer with 405") {
    const http_reply reply = preflight(port, "/items", "https://app.example", "DELETE");
    CHECK(reply.status == 204);
    CHECK(field(reply, "Access-Control-Allow-Origin") == "https://app.example");
  }
  SUBCASE("a route with its own OPTIONS handler: the preflight never reaches it") {
    const http_reply reply = preflight(port, "/own", "https://app.example", "GET");
    CHECK(reply.status == 204);
    CHECK(reply.body.empty());
    // An OPTIONS that is not a preflight still reaches it, and gets the fields of an actual request.
    const http_reply plain = fetch(port, "OPTIONS", "/own", "Origin: https://app.example\r\n");
    CHECK(plain.body == "own options handler");
    CHECK(field(plain, "Access-Control-Allow-Origin") == "https://app.example");
  }
  SUBCASE("header names in any case, methods as Fetch normalises them, list noise") {
    CHECK(preflight(port, "/items/1", "https://app.example", "PUT", "AUTHORIZATION,X-Trace").status == 204);
    CHECK(preflight(port, "/items/1", "https://app.example", "put").status == 204);  // Fetch upper-cases put
    CHECK(preflight(port, "/items/1", "https://app.example", "PUT", " x-trace ,, authorization,").status == 204);
    CHECK(preflight(port, "/items/1", "https://app.example", "PUT", "content-type").status == 204);  // safelisted
    CHECK(preflight(port, "/items/1", "http://localhost:5173", "PUT").status == 204);
  }
  SUBCASE("GET, HEAD and POST need no listing") {
    CHECK(preflight(port, "/items", "https://app.example", "POST", "x-trace").status == 204);
  }
}

TEST_CASE("a refused preflight gets 403 and no Access-Control-Allow-* field") {
  test_server server{&make_credentialed_app};
  const std::uint16_t port = server.port();

  const auto check_refused = [](const http_reply& reply, std::string_view reason) {
    CHECK(reply.status == 403);
    CHECK_FALSE(has_cors_fields(reply));
    CHECK(field(reply, "Content-Type") == "application/problem+json");
    CHECK(reply.body.find(std::string(reason)) != std::string::npos);
    CHECK(field(reply, "Vary") == "Origin");
  };
  SUBCASE("origins") {
    check_refused(preflight(port, "/items/1", "https://evil.example", "PUT"), "the origin is not allowed");
    // Exactly the same scheme, host and port: no prefix, suffix, other port or other scheme.
    check_refused(preflight(port, "/items/1", "http://app.example", "PUT"), "origin");
    check_refused(preflight(port, "/items/1", "https://app.example:8443", "PUT"), "origin");
    check_refused(preflight(port, "/items/1", "https://app.example.evil.example", "PUT"), "origin");
    check_refused(preflight(port, "/items/1", "https://evilapp.example", "PUT"), "origin");
    check_refused(preflight(port, "/items/1", "https://APP.example", "PUT"), "origin");  // no browser sends this
    check_refused(preflight(port, "/items/1", "https://app.example/", "PUT"), "origin");
    check_refused(preflight(port, "/items/1", "http://localhost:5174", "PUT"), "origin");
    check_refused(preflight(port, "/items/1", "null", "PUT"), "origin");
    // Two Origin fields: neither is trusted.
    check_refused(fetch(port, "OPTIONS", "/items/1",
                        "Origin: https://app.example\r\nOrigin: https://evil.example\r\n"
                        "Access-Control-Request-Method: PUT\r\n"),
                  "origin");
  }
  SUBCASE("methods") {
    check_refused(preflight(port, "/items/1", "https://app.example", "PATCH"), "the method PATCH is not allowed");
    check_refused(preflight(port, "/items/1", "https://app.example", "patch"), "method");  // compared exactly
  }
  SUBCASE("headers") {
    check_refused(preflight(port, "/items/1", "https://app.example", "PUT", "x-trace, x-secret"),
                  "the header x-secret is not allowed");
  }
}

TEST_CASE("actual requests: the exact origin with credentials, Vary always") {
  test_server server{&make_credentialed_app};
  const std::uint16_t port = server.port();

  SUBCASE("an allowed origin is echoed exactly, with credentials and exposed headers") {
    const http_reply reply = fetch(port, "PUT", "/items/3", "Origin: https://app.example\r\nCookie: s=1\r\n");
    CHECK(reply.status == 200);
    CHECK(reply.body == "put 3");
    CHECK(field(reply, "Access-Control-Allow-Origin") == "https://app.example");
    CHECK(field(reply, "Access-Control-Allow-Credentials") == "true");
    CHECK(field(reply, "Access-Control-Expose-Headers") == "X-Request-Id");
    CHECK(field(reply, "Vary") == "Origin");
    CHECK(field(reply, "Access-Control-Allow-Methods") == "<absent>");  // preflights only
  }
  SUBCASE("another origin gets no CORS field, and Vary") {
    const http_reply reply = fetch(port, "GET", "/items", "Origin: https://evil.example\r\n");
    CHECK(reply.status == 200);  // the browser, not the server, withholds the answer
    CHECK_FALSE(has_cors_fields(reply));
    CHECK(field(reply, "Vary") == "Origin");
    for (const std::string_view near_miss : {"https://app.example.evil.example", "https://app.example:8443",
                                             "http://app.example", "https://app.exampl", "https://APP.EXAMPLE"}) {
      CAPTURE(near_miss);
      CHECK_FALSE(has_cors_fields(fetch(port, "GET", "/items", "Origin: " + std::string(near_miss) + "\r\n")));
    }
  }
  SUBCASE("no Origin: no CORS field, and Vary, since the answer would differ with one") {
    const http_reply reply = fetch(port, "GET", "/items");
    CHECK_FALSE(has_cors_fields(reply));
    CHECK(field(reply, "Vary") == "Origin");
  }
  SUBCASE("the handler's Vary is kept") {
    const http_reply reply = fetch(port, "GET", "/compressed", "Origin: https://app.example\r\n");
    CHECK(field(reply, "Vary") == "Accept-Encoding, Origin");
  }
  SUBCASE("errors and the router's answers carry the fields too, so the page can read them") {
    const http_reply error = fetch(port, "GET", "/boom", "Origin: https://app.example\r\n");
    CHECK(error.status == 409);
    CHECK(field(error, "Access-Control-Allow-Origin") == "https://app.example");
    const http_reply missing = fetch(port, "GET", "/nowhere", "Origin: https://app.example\r\n");
    CHECK(missing.status == 404);
    CHECK(field(missing, "Access-Control-Allow-Origin") == "https://app.example");
    const http_reply not_allowed = fetch(port, "DELETE", "/items", "Origin: https://app.example\r\n");
    CHECK(not_allowed.status == 405);
    CHECK(field(not_allowed, "Access-Control-Allow-Origin") == "https://app.example");
  }
  SUBCASE("the null origin is never trusted with credentials") {
    const http_reply reply = fetch(port, "GET", "/items", "Origin: null\r\n");
    CHECK_FALSE(has_cors_fields(reply));
  }
}

TEST_CASE("any origin, without credentials: `*`, the same for everyone") {
  test_server server{&make_public_app};
  const std::uint16_t port = server.port();

  const http_reply reply = fetch(port, "GET", "/items", "Origin: https://anyone.example\r\n");
  CHECK(field(reply, "Access-Control-Allow-Origin") == "*");
  CHECK(field(reply, "Access-Control-Allow-Credentials") == "<absent>");
  CHECK(field(reply, "Vary") == "<absent>");
  CHECK(field(fetch(port, "GET", "/items"), "Access-Control-Allow-Origin") == "*");  // cached answers serve all
  CHECK(field(fetch(port, "GET", "/items", "Origin: null\r\n"), "Access-Control-Allow-Origin") == "*");

  const http_reply allowed = preflight(port, "/items/1", "https://anyone.example", "PATCH", "X-Anything, x-other");
  CHECK(allowed.status == 204);
  CHECK(field(allowed, "Access-Control-Allow-Origin") == "*");
  CHECK(field(allowed, "Access-Control-Allow-Methods") == "PATCH");  // the one asked for
  CHECK(field(allowed, "Access-Control-Allow-Headers") == "x-anything, x-other");
  CHECK(field(allowed, "Access-Control-Allow-Credentials") == "<absent>");
  CHECK(field(allowed, "Vary") == "Access-Control-Request-Method, Access-Control-Request-Headers");
}

TEST_CASE("an origin rule decides beside the list, and never sees what a browser would not send") {
  test_server server{&make_rule_app};
  const std::uint16_t port = server.port();

  const http_reply allowed = fetch(port, "GET", "/items", "Origin: https://shop.example.com\r\n");
  CHECK(field(allowed, "Access-Control-Allow-Origin") == "https://shop.example.com");
  CHECK(field(allowed, "Access-Control-Allow-Credentials") == "true");
  CHECK(preflight(port, "/items/1", "https://shop.example.com", "PUT").status == 204);

  for (const std::string_view origin :
       {"https://example.com.evil.example", "http://shop.example.com", "https://SHOP.example.com",
        "https://shop.example.com:443", "https://shop.example.com/x/.example.com", "null"}) {
    CAPTURE(origin);
    CHECK_FALSE(has_cors_fields(fetch(port, "GET", "/items", "Origin: " + std::string(origin) + "\r\n")));
    CHECK(preflight(port, "/items/1", origin, "PUT").status == 403);
  }
}

TEST_CASE("curl's preflight, as a third-party client sends it") {
  test_server server{&make_credentialed_app};
  const std::string command =
      "curl -s -i -X OPTIONS --max-time 20 -H 'Origin: https://app.example' "
      "-H 'Access-Control-Request-Method: DELETE' "
      "-H 'Access-Control-Request-Headers: Authorization' http://127.0.0.1:" +
      std::to_string(server.port()) + "/items/9";
  FILE* curl = ::popen(command.c_str(), "r");
  REQUIRE(curl != nullptr);
  std::string output;
  std::array<char, 512> chunk{};
  while (std::fgets(chunk.data(), static_cast<int>(chunk.size()), curl) != nullptr) output += chunk.data();
  REQUIRE(::pclose(curl) == 0);
  CAPTURE(output);
  CHECK(output.starts_with("HTTP/1.1 204 No Content\r\n"));
  CHECK(output.find("\r\nAccess-Control-Allow-Origin: https://app.example\r\n") != std::string::npos);
  CHECK(output.find("\r\nAccess-Control-Allow-Methods: GET, PUT, DELETE\r\n") != std::string::npos);
  CHECK(output.find("\r\nAccess-Control-Allow-Credentials: true\r\n") != std::string::npos);
}
