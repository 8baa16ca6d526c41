// One definition rule: this file and second.cpp each include every public header and run an
// app of their own, header-only (no asyncrest::compiled, no separately compiled Asio). Anything
// in the headers defined without `inline` fails to link; two definitions that differ (the linker
// keeps one) show up as a wrong answer below.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <asyncrest/asyncrest.hpp>
#include <support/raw_client.hpp>
#include <support/test_server.hpp>

#include <string>

namespace odr {
std::string serve_in_second();  // second.cpp

std::string serve_in_first() {
  auto make_app = [] {
    return asyncrest::app{asyncrest::routes(asyncrest::get<"/where/{name}">([](asyncrest::request&, std::string name) {
      return asyncrest::json({{"first", name}});
    }))};
  };
  asyncrest::testing::test_server server(make_app);
  return asyncrest::testing::exchange(server.port(), "GET /where/a HTTP/1.1\r\nHost: x\r\n\r\n").body;
}
}  // namespace odr

TEST_CASE("apps in two translation units link together and both answer") {
  CHECK(odr::serve_in_first() == R"({"first":"a"})");
  CHECK(odr::serve_in_second() == R"({"second":"b"})");
}
