// The CORS middleware's settings: refused when unsafe or malformed, origins normalised as browsers
// serialise them. (What it answers is tested over sockets: integration/server/cors_test.cpp.)
#include <asyncrest/server/cors.hpp>
#include <asyncrest/server/detail/cors_policy.hpp>

#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <string_view>

namespace {

namespace ar = asyncrest;

std::string refusal(const ar::cors_settings& settings) {
  try {
    ar::cors made{settings};
  } catch (const std::invalid_argument& error) {
    return error.what();
  }
  return "<accepted>";
}

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

}  // namespace

TEST_CASE("credentials need explicit, trustworthy origins") {
  CHECK(contains(refusal({.allowed_origins = {"*"}, .allow_credentials = true}), "needs explicit origins"));
  CHECK(contains(refusal({.allowed_origins = {"null"}, .allow_credentials = true}), "\"null\""));
  CHECK(
      contains(refusal({.allowed_origins = {"https://a.example"}, .exposed_headers = {"*"}, .allow_credentials = true}),
               "exposed_headers"));
  CHECK(refusal({.allowed_origins = {"https://a.example"}, .allow_credentials = true}) == "<accepted>");
  CHECK(refusal({.allowed_origins = {"*"}}) == "<accepted>");
  CHECK(refusal({.allowed_origins = {"null"}}) == "<accepted>");

  // A rule that accepts an origin no site can have accepts anything: refused with credentials.
  const auto any = [](std::string_view) { return true; };
  CHECK_THROWS_WITH_AS((ar::cors{{.allow_credentials = true}, any}), doctest::Contains("cors-check.invalid"),
                       std::invalid_argument);
  CHECK_NOTHROW(ar::cors{{}, any});  // without credentials, a public API may allow any origin
  const auto suffix = [](std::string_view origin) { return origin.ends_with(".example.com"); };
  CHECK_NOTHROW(ar::cors{{.allow_credentials = true}, suffix});
}

TEST_CASE("settings that cannot work are refused with what to change") {
  CHECK(contains(refusal({}), "no origin is allowed"));
  CHECK(contains(refusal({.allowed_origins = {"*", "https://a.example"}}), "no other origin"));
  CHECK(contains(refusal({.allowed_origins = {"https://a.example/"}}), "no path, not even a trailing '/'"));
  CHECK(contains(refusal({.allowed_origins = {"https://a.example/app"}}), "no path"));
  CHECK(contains(refusal({.allowed_origins = {"a.example"}}), "scheme://host[:port]"));
  CHECK(contains(refusal({.allowed_origins = {"https://"}}), "is not an origin"));
  CHECK(contains(refusal({.allowed_origins = {"https://a.example:99999"}}), "is not an origin"));
  CHECK(contains(refusal({.allowed_origins = {"https://user@a.example"}}), "is not an origin"));
  CHECK(contains(refusal({.allowed_origins = {"https://a.example "}}), "is not an origin"));
  CHECK(contains(refusal({.allowed_origins = {"https://a.example"}, .allowed_methods = {"GET POST"}}),
                 "not a method name"));
  CHECK(contains(refusal({.allowed_origins = {"https://a.example"}, .allowed_headers = {"X-A: b"}}),
                 "not a header name"));
  CHECK(contains(refusal({.allowed_origins = {"https://a.example"}, .exposed_headers = {"X A"}}), "not a header name"));
  CHECK(contains(refusal({.allowed_origins = {"https://a.example"}, .max_age = std::chrono::seconds(-1)}), "max_age"));
}

TEST_CASE("allowed origins are normalised as browsers serialise them") {
  using ar::detail::normalize_allowed_origin;
  CHECK(normalize_allowed_origin("HTTPS://App.Example.COM") == "https://app.example.com");
  CHECK(normalize_allowed_origin("https://a.example:443") == "https://a.example");
  CHECK(normalize_allowed_origin("http://a.example:80") == "http://a.example");
  CHECK(normalize_allowed_origin("https://a.example:8443") == "https://a.example:8443");
  CHECK(normalize_allowed_origin("http://a.example:0443") == "http://a.example:443");  // 443 is not http's
  CHECK(normalize_allowed_origin("http://localhost:5173") == "http://localhost:5173");
  CHECK(normalize_allowed_origin("http://[::1]:8080") == "http://[::1]:8080");
  CHECK(normalize_allowed_origin("http://127.0.0.1") == "http://127.0.0.1");
}

TEST_CASE("only an origin in a browser's form is compared or given to a rule") {
  using ar::detail::is_serialized_origin;
  CHECK(is_serialized_origin("https://a.example"));
  CHECK(is_serialized_origin("http://localhost:5173"));
  CHECK(is_serialized_origin("http://[::1]:8080"));
  CHECK_FALSE(is_serialized_origin("https://A.example"));
  CHECK_FALSE(is_serialized_origin("HTTPS://a.example"));
  CHECK_FALSE(is_serialized_origin("https://a.example:443"));
  CHECK_FALSE(is_serialized_origin("https://a.example:0080"));
  CHECK_FALSE(is_serialized_origin("https://a.example/"));
  CHECK_FALSE(is_serialized_origin("https://a.example.evil.example/https://a.example"));
  CHECK_FALSE(is_serialized_origin("null"));
  CHECK_FALSE(is_serialized_origin(""));
  CHECK_FALSE(is_serialized_origin("https://a.example, https://b.example"));
}

TEST_CASE("Vary gains a name once") {
  ar::headers fields;
  ar::detail::add_vary(fields, "Origin");
  CHECK(fields.get("Vary") == std::optional<std::string_view>("Origin"));
  ar::detail::add_vary(fields, "origin");
  CHECK(fields.get("Vary") == std::optional<std::string_view>("Origin"));
  ar::headers compressed;
  compressed.set("Vary", "Accept-Encoding");
  ar::detail::add_vary(compressed, "Origin");
  CHECK(compressed.get("Vary") == std::optional<std::string_view>("Accept-Encoding, Origin"));
  ar::headers everything;
  everything.set("Vary", "*");
  ar::detail::add_vary(everything, "Origin");
  CHECK(everything.get("Vary") == std::optional<std::string_view>("*"));
}

TEST_CASE("methods: the six Fetch normalises, the rest exactly") {
  CHECK(ar::detail::normalize_method("delete") == "DELETE");
  CHECK(ar::detail::normalize_method("Put") == "PUT");
  CHECK(ar::detail::normalize_method("patch") == "patch");
  CHECK(ar::detail::normalize_method("PATCH") == "PATCH");
}
