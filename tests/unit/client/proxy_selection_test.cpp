// Which proxy a request takes: proxy URLs, the environment's variables (lower case first, none
// in a CGI process for HTTP_PROXY), and no_proxy lists with names, suffixes, addresses, ports
// and "*".
#include <asyncrest/client/detail/proxy.hpp>

#include <doctest/doctest.h>

#include <map>
#include <stdexcept>
#include <string>

namespace ar = asyncrest;
using ar::detail::make_proxy_configuration;
using ar::detail::parse_proxy_url;
using ar::detail::parse_url;

namespace {

struct fake_environment {
  std::map<std::string, std::string> variables;
  const char* operator()(const char* name) const {
    auto found = variables.find(name);
    return found == variables.end() ? nullptr : found->second.c_str();
  }
};

/// The proxy origin a request to `url` goes through, or "direct".
std::string route(const ar::detail::proxy_configuration& proxies, const char* url) {
  const auto* chosen = proxies.select(parse_url(url));
  return chosen == nullptr ? "direct" : chosen->address.origin();
}

}  // namespace

TEST_CASE("parse_proxy_url: host, port, credentials") {
  auto plain = parse_proxy_url("http://proxy.internal:3128", "test");
  CHECK(plain.address.host == "proxy.internal");
  CHECK(plain.address.port == 3128);
  CHECK(plain.authorization.empty());

  auto bare = parse_proxy_url("proxy.internal:8080", "test");  // no scheme: http://, as curl
  CHECK(bare.address.port == 8080);
  CHECK(parse_proxy_url("http://p/", "test").address.port == 80);

  auto with_credentials = parse_proxy_url("http://Aladdin:open%20sesame@p:1", "test");
  CHECK(with_credentials.authorization == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  CHECK(with_credentials.key != parse_proxy_url("http://p:1", "test").key);  // never pooled together

  CHECK_THROWS_AS(static_cast<void>(parse_proxy_url("https://p:1", "test")), std::invalid_argument);
  CHECK_THROWS_AS(static_cast<void>(parse_proxy_url("socks5://p:1", "test")), std::invalid_argument);
  CHECK_THROWS_AS(static_cast<void>(parse_proxy_url("http://p:1/path", "test")), std::invalid_argument);
  CHECK_THROWS_AS(static_cast<void>(parse_proxy_url("http://p:99999", "test")), std::invalid_argument);
  try {
    static_cast<void>(parse_proxy_url("ftp://p", "HTTPS_PROXY"));
  } catch (const std::invalid_argument& error) {
    CHECK(std::string(error.what()).find("HTTPS_PROXY") != std::string::npos);
  }
}

TEST_CASE("proxy selection from the settings, per scheme, with no_proxy") {
  const auto proxies = make_proxy_configuration(
      {.http = "http://plain:1",
       .https = "http://tunnel:2",
       .no_proxy = "localhost, .internal.example, Direct.Example:8080, 10.0.0.7, [::1], *.wild.example"},
      fake_environment{});
  CHECK(route(proxies, "http://api.example.com/") == "http://plain:1");
  CHECK(route(proxies, "https://api.example.com/") == "http://tunnel:2");
  CHECK(route(proxies, "http://localhost:9000/") == "direct");
  CHECK(route(proxies, "http://notlocalhost/") == "http://plain:1");
  CHECK(route(proxies, "http://internal.example/") == "direct");  // ".internal.example" covers itself
  CHECK(route(proxies, "https://a.b.internal.example/") == "direct");
  CHECK(route(proxies, "http://direct.example:8080/") == "direct");
  CHECK(route(proxies, "http://direct.example:8081/") == "http://plain:1");  // another port
  CHECK(route(proxies, "http://10.0.0.7/") == "direct");
  CHECK(route(proxies, "http://110.0.0.7/") == "http://plain:1");  // an address matches only itself
  CHECK(route(proxies, "http://[::1]:80/") == "direct");
  CHECK(route(proxies, "http://x.wild.example/") == "direct");

  const auto everything = make_proxy_configuration({.http = "http://p:1", .no_proxy = "*"}, fake_environment{});
  CHECK(route(everything, "http://anything/") == "direct");

  const auto only_http = make_proxy_configuration({.http = "http://p:1"}, fake_environment{});
  CHECK(route(only_http, "https://secure/") == "direct");
}

TEST_CASE("proxy selection from the environment only when allowed") {
  fake_environment environment{{{"HTTP_PROXY", "http://upper:1"},
                                {"http_proxy", "http://lower:2"},
                                {"HTTPS_PROXY", "http://secure-upper:3"},
                                {"NO_PROXY", "skip.example"}}};
  const auto ignored = make_proxy_configuration({}, environment);
  CHECK(route(ignored, "http://a/") == "direct");
  CHECK(route(ignored, "https://a/") == "direct");

  const auto trusted = make_proxy_configuration({.from_environment = true}, environment);
  CHECK(route(trusted, "http://a/") == "http://lower:2");  // lower case first
  CHECK(route(trusted, "https://a/") == "http://secure-upper:3");
  CHECK(route(trusted, "https://skip.example/") == "direct");

  // The settings win over the environment, field by field.
  const auto mixed = make_proxy_configuration(
      {.http = "http://configured:4", .no_proxy = "other", .from_environment = true}, environment);
  CHECK(route(mixed, "http://skip.example/") == "http://configured:4");
  CHECK(route(mixed, "https://a/") == "http://secure-upper:3");

  // all_proxy fills in; in a CGI process HTTP_PROXY may come from a request's Proxy field.
  fake_environment cgi{{{"HTTP_PROXY", "http://attacker:1"}, {"REQUEST_METHOD", "GET"}, {"all_proxy", "http://all:5"}}};
  const auto in_cgi = make_proxy_configuration({.from_environment = true}, cgi);
  CHECK(route(in_cgi, "http://a/") == "http://all:5");
  CHECK(route(in_cgi, "https://a/") == "http://all:5");

  fake_environment broken{{{"https_proxy", "socks5://p:1"}}};
  CHECK_THROWS_AS(static_cast<void>(make_proxy_configuration({.from_environment = true}, broken)),
                  std::invalid_argument);
}
