// The typed client's pieces that need no server: which route a key names, paths filled with
// percent-encoded arguments, query parameters and header fields as text, and answers read back.
#include <asyncrest/client/typed_client.hpp>

#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ar = asyncrest;

namespace {

struct item {
  std::int64_t id = 0;
  std::string name;
};

enum class size { small, large };

struct item_filter {
  std::vector<std::string> tag{};
  std::optional<int> limit{};
  bool open = true;
  size wanted = size::small;
  double ratio = 0.25;
};

}  // namespace

TEST_CASE("typed client keys: a method, a space and a path whose parameters' types may be left out") {
  static_assert(ar::detail::parse_route_key("GET /items/{id}").verb == ar::method::get);
  static_assert(ar::detail::parse_route_key("DELETE /items/{id}").path == "/items/{id}");
  static_assert(ar::detail::parse_route_key("HEAD /items").verb == ar::method::other);  // answered from GET
  static_assert(ar::detail::parse_route_key("get /items").verb == ar::method::other);   // methods are case-sensitive
  static_assert(ar::detail::parse_route_key("/items").verb == ar::method::other);

  CHECK(ar::detail::same_route_path("/items/{id}", "/items/{id:int}"));
  CHECK(ar::detail::same_route_path("/items/{id:int}", "/items/{id:int}"));
  CHECK(ar::detail::same_route_path("/items/{id:int}", "/items/{id}"));
  CHECK(ar::detail::same_route_path("/files/{rest}", "/files/{rest:path}"));
  CHECK(ar::detail::same_route_path("/", "/"));
  CHECK_FALSE(ar::detail::same_route_path("/items/{id}", "/items/{key:int}"));
  CHECK_FALSE(ar::detail::same_route_path("/items/{id}", "/items/{id}/parts"));
  CHECK_FALSE(ar::detail::same_route_path("/items", "/items/"));
  CHECK_FALSE(ar::detail::same_route_path("/it:ems", "/it"));  // a colon outside braces is a literal
}

TEST_CASE("typed client paths: each parameter percent-encoded, a catch-all's slashes kept") {
  CHECK(ar::detail::fill_path<1>("/items/{id:int}", {"42"}) == "/items/42");
  CHECK(ar::detail::fill_path<2>("/a/{x}/b/{y}", {"one two", "é/?#%"}) == "/a/one%20two/b/%C3%A9%2F%3F%23%25");
  CHECK(ar::detail::fill_path<1>("/files/{rest:path}", {"docs/a b.txt"}) == "/files/docs/a%20b.txt");
  CHECK(ar::detail::fill_path<1>("/keep/{x}", {"AZaz09-._~"}) == "/keep/AZaz09-._~");
  CHECK(ar::detail::fill_path<0>("/", {}) == "/");
}

TEST_CASE("typed client query parameters and fields: the text the server reads back") {
  CHECK(ar::detail::text_of(true) == "true");
  CHECK(ar::detail::text_of(std::int64_t{-7}) == "-7");
  CHECK(ar::detail::text_of(0.1) == "0.1");
  CHECK(ar::detail::text_of(size::large) == "large");
  CHECK(ar::detail::text_of(std::string("a b")) == "a b");

  std::vector<std::pair<std::string, std::string>> fields;
  ar::detail::add_query_fields(item_filter{.tag = {"a", "b c"}, .open = false}, fields);
  const std::vector<std::pair<std::string, std::string>> expected{
      {"tag", "a"}, {"tag", "b c"}, {"open", "false"}, {"wanted", "small"}, {"ratio", "0.25"}};
  CHECK(fields == expected);  // the empty optional left out
}

TEST_CASE("typed client answers: read as the handler's result type") {
  ar::client_response answer;
  answer.status = ar::status::created;
  answer.body = R"({"id":3,"name":"cup"})";
  answer.headers.set("Location", "/items/3");

  const item plain = ar::detail::read_typed_answer<item>(answer);
  CHECK(plain.id == 3);
  CHECK(plain.name == "cup");

  const auto with_status = ar::detail::read_typed_answer<std::pair<ar::status, item>>(answer);
  CHECK(with_status.first == ar::status::created);
  CHECK(with_status.second.name == "cup");

  const auto typed = ar::detail::read_typed_answer<ar::typed_response<item>>(answer);
  CHECK(typed.status == ar::status::created);
  CHECK(typed.headers.get("Location") == "/items/3");
  CHECK(typed.body.id == 3);

  const ar::client_response whole = ar::detail::read_typed_answer<ar::response>(answer);
  CHECK(whole.body == answer.body);

  answer.body = R"({"id":"three"})";
  CHECK_THROWS_AS(static_cast<void>(ar::detail::read_typed_answer<item>(answer)), ar::protocol_error);
  answer.body = "not json";
  CHECK_THROWS_AS(static_cast<void>(ar::detail::read_typed_answer<item>(answer)), ar::protocol_error);
}
