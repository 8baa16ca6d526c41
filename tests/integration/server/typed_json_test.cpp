// Typed JSON bodies over real sockets: a route that reads a struct answers 422 with a JSON
// Pointer for each error, 400 for a body that is not JSON (even where the rest would fit), and
// echoes a body that fits; curl sees the same.
#include <asyncrest/asyncrest.hpp>

#include <support/raw_client.hpp>
#include <support/test_server.hpp>

#include <doctest/doctest.h>
#include <simdjson.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ar = asyncrest;
using asyncrest::testing::http_reply;
using asyncrest::testing::test_server;

namespace {

struct line_item {
  std::string name;
  std::uint8_t quantity;
};

struct new_order {
  std::string title;
  std::optional<std::chrono::sys_seconds> due;
  int priority;
  std::vector<line_item> items;
};

}  // namespace

template <>
struct asyncrest::json_fields<new_order> {
  static constexpr auto rules =
      asyncrest::fields(asyncrest::field<&new_order::title>{.length = {1, 200}},
                        asyncrest::field<&new_order::priority>{.name = "prio", .minimum = 0, .maximum = 5});
};

namespace {

auto make_app() {
  return ar::app{ar::routes(ar::post<"/orders">([](ar::request& req) -> ar::response {
                              const new_order order = ar::read_json_body<new_order>(req);
                              return ar::json_response(order, ar::status::created);
                            }),
                            ar::post<"/strict">([](ar::request& req) -> ar::response {
                              const line_item item = ar::read_json_body<line_item>(
                                  req, {.unknown_fields = ar::json_unknown_fields::refuse});
                              return ar::json_response(item);
                            }))};
}

http_reply post(std::uint16_t port, std::string_view target, std::string_view body) {
  return asyncrest::testing::exchange(
      port, "POST " + std::string(target) + " HTTP/1.1\r\nHost: shop.example\r\nContent-Type: application/json\r\n" +
                "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body));
}

struct listed_error {
  std::string pointer;
  std::string detail;
  friend bool operator==(const listed_error&, const listed_error&) = default;
};

/// The problem body's errors, each checked to have exactly a pointer and a detail.
std::vector<listed_error> listed_errors(const http_reply& reply) {
  simdjson::dom::parser parser;
  simdjson::dom::element problem;
  REQUIRE(parser.parse(reply.body).get(problem) == simdjson::SUCCESS);
  CHECK(std::string_view(problem["type"]) == "about:blank");
  CHECK(std::string_view(problem["title"]) == "Unprocessable Content");
  CHECK(std::int64_t(problem["status"]) == 422);
  std::vector<listed_error> errors;
  for (simdjson::dom::object error : simdjson::dom::array(problem["errors"])) {
    CHECK(error.size() == 2);
    errors.push_back({std::string(std::string_view(error["pointer"])), std::string(std::string_view(error["detail"]))});
  }
  return errors;
}

}  // namespace

TEST_CASE("a body that does not fit the struct is answered 422 with every error's pointer") {
  test_server server{&make_app};
  const http_reply reply = post(server.port(), "/orders",
                                R"({"title":"","prio":9,"items":[{"name":"tea","quantity":1},)"
                                R"({"name":"cake","quantity":300},{"quantity":"two"}],"due":"tomorrow"})");
  CHECK(reply.status == 422);
  CHECK(reply.header("Content-Type").value_or("") == "application/problem+json");
  const std::vector<listed_error> expected{
      {"/title", "must have at least 1 characters"},
      {"/prio", "must be at most 5"},
      {"/items/1/quantity", "must be an integer from 0 to 255"},
      {"/items/2/quantity", "expected an integer"},
      {"/items/2/name", "required"},
      {"/due", "expected an RFC 3339 date-time such as 2024-05-01T12:00:00Z"},
  };
  CHECK(listed_errors(reply) == expected);

  const http_reply missing = post(server.port(), "/orders", "{}");
  CHECK(missing.status == 422);
  CHECK(listed_errors(missing) ==
        std::vector<listed_error>{{"/title", "required"}, {"/prio", "required"}, {"/items", "required"}});

  const http_reply unknown = post(server.port(), "/strict", R"({"name":"tea","quantity":1,"a/b~":true})");
  CHECK(unknown.status == 422);
  CHECK(listed_errors(unknown) == std::vector<listed_error>{{"/a~1b~0", "unknown field"}});
}

TEST_CASE("a body that is not JSON stays a 400") {
  test_server server{&make_app};
  // Bodies that would fit but for JSON errors where a reader that skips would not look: after
  // the object, and inside a member the struct does not have.
  for (const std::string_view body :
       {R"({"title":)", "", "not json", R"({"title":"a","prio":1,"items":[]} x)",
        R"({"title":"a","prio":1,"items":[]}})", R"({"title":"a","prio":1,"items":[],"extra":[1,,2]})",
        R"({"title":"a","prio":1,"items":[],"extra":tru})"}) {
    INFO(body);
    const http_reply reply = post(server.port(), "/orders", body);
    CHECK(reply.status == 400);
    CHECK(reply.header("Content-Type").value_or("") == "application/problem+json");
    CHECK(reply.body.find("\"errors\"") == std::string::npos);
  }
}

TEST_CASE("a body that fits is read and written back, renamed members by their JSON names") {
  test_server server{&make_app};
  const std::string_view body =
      R"({"title":"Tea party","due":"2024-05-01T14:00:00+02:00","prio":3,"items":[{"name":"tea","quantity":2}],"extra":1})";
  const http_reply reply = post(server.port(), "/orders", body);
  CHECK(reply.status == 201);
  CHECK(reply.header("Content-Type").value_or("") == "application/json");
  CHECK(reply.body ==
        R"({"title":"Tea party","due":"2024-05-01T12:00:00Z","prio":3,"items":[{"name":"tea","quantity":2}]})");

  // And as curl sends it, on a connection of its own.
  const std::string command =
      "curl -s -o - -w ' %{http_code}' -H 'Content-Type: application/json' --data-binary "
      "'{\"name\":\"scone\",\"quantity\":4}' http://127.0.0.1:" +
      std::to_string(server.port()) + "/strict";
  std::FILE* curl = ::popen(command.c_str(), "r");
  REQUIRE(curl != nullptr);
  std::string output;
  std::array<char, 512> chunk{};
  while (const std::size_t read = std::fread(chunk.data(), 1, chunk.size(), curl)) output.append(chunk.data(), read);
  CHECK(::pclose(curl) == 0);
  CHECK(output == R"({"name":"scone","quantity":4} 200)");
}
