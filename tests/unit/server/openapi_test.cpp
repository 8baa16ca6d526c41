// The OpenAPI document of a route table: each member type's schema, json_fields rules as
// keywords, required lists, path, query and header parameters, request bodies, responses, route
// metadata, and names of schemas (readable, renamed, refused when two types share one).
#include <asyncrest/server/openapi.hpp>
#include <asyncrest/server/swagger_ui.hpp>

#include <asyncrest/server/app.hpp>
#include <asyncrest/server/test_client.hpp>

#include <asyncrest/core/json_fields.hpp>
#include <asyncrest/core/json_pattern.hpp>
#include <asyncrest/core/typed_json.hpp>
#include <asyncrest/server/route.hpp>
#include <asyncrest/server/router.hpp>
#include <asyncrest/server/typed_parameters.hpp>
#include <asyncrest/server/typed_results.hpp>

#include <doctest/doctest.h>
#include <simdjson.h>

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace shop {

enum class colour { red, green };

struct address {
  std::string street;
  std::optional<std::string> city;
};

struct circle {
  double radius;
};
struct square {
  double side;
};
using shape = std::variant<circle, square>;

struct node {
  std::string name;
  std::vector<node> children;
};

struct everything {
  bool flag;
  int count;
  std::int64_t big;
  std::uint8_t small;
  float ratio;
  double score;
  std::string name;
  colour tint;
  std::optional<int> maybe;
  std::vector<std::string> words;
  std::map<std::string, int> totals;
  std::chrono::sys_seconds when;
  address home;
  std::vector<address> others;
  shape outline;
  node tree;
  asyncrest::json_value anything;
};

struct limited {
  std::string title;
  int priority;
  std::vector<int> items;
  std::optional<std::string> code;
  std::string level;
};

struct paging {
  int limit = 20;
  bool done = false;
  std::optional<std::string> after;
  std::vector<std::string> tag;
  colour tint = colour::green;
};

}  // namespace shop

namespace other {
struct address {
  int number;
};
}  // namespace other

template <>
struct asyncrest::json_variant_tags<shop::shape> {
  static constexpr std::string_view key = "kind";
  static constexpr std::array<std::string_view, 2> values = {"circle", "square"};
};

template <>
struct asyncrest::json_fields<shop::limited> {
  static constexpr auto rules =
      asyncrest::fields(asyncrest::field<&shop::limited::title>{.length = {1, 200}},
                        asyncrest::field<&shop::limited::priority>{.name = "prio", .minimum = 0, .maximum = 5},
                        asyncrest::field<&shop::limited::items>{.length = {.maximum = 3}},
                        asyncrest::field<&shop::limited::code>{.pattern = "^[A-Z]{3}$"},
                        asyncrest::field<&shop::limited::level>{.one_of = {"low", "high"}});
};

template <>
struct asyncrest::json_fields<shop::paging> {
  static constexpr auto rules = asyncrest::fields(asyncrest::field<&shop::paging::limit>{.minimum = 1, .maximum = 100});
};

template <>
struct asyncrest::json_schema_name<shop::limited> {
  static constexpr std::string_view name = "Limited";
};

namespace {

namespace ar = asyncrest;
using ar::status;

/// The document parsed, and lookups into it by JSON Pointer.
class parsed_document {
 public:
  explicit parsed_document(std::string text) : text_(std::move(text)) { root_ = parser_.parse(text_).value(); }

  [[nodiscard]] simdjson::dom::element at(std::string_view pointer) const {
    simdjson::dom::element found;
    const auto error = root_.at_pointer(pointer).get(found);
    INFO("pointer: " << pointer << "\ndocument: " << text_);
    REQUIRE(error == simdjson::SUCCESS);
    return found;
  }
  [[nodiscard]] bool has(std::string_view pointer) const {
    simdjson::dom::element found;
    return root_.at_pointer(pointer).get(found) == simdjson::SUCCESS;
  }
  [[nodiscard]] std::string text(std::string_view pointer) const {
    return std::string(std::string_view(at(pointer).get_string().value()));
  }
  [[nodiscard]] std::string minified(std::string_view pointer) const { return simdjson::minify(at(pointer)); }

 private:
  std::string text_;
  simdjson::dom::parser parser_;
  simdjson::dom::element root_;
};

auto table() {
  return ar::routes(ar::get<"/things/{id:int}">([](std::int64_t) { return shop::everything{}; })
                        .summary("One thing")
                        .description("Every *member* type")
                        .tags("things", "catalogue")
                        .operation_id("findThing"),
                    ar::post<"/things">([](ar::json_body<shop::limited>) -> std::pair<status, shop::limited> {
                      return {status::created, shop::limited{}};
                    }).success_status(status::created),
                    ar::get<"/things">([](ar::query<shop::paging>, ar::header<"X-Tenant", std::string>,
                                          ar::header<"X-Trace", std::optional<std::uint32_t>>) {
                      return std::vector<shop::limited>{};
                    }),
                    ar::delete_<"/things/{key:uuid}">([](std::string_view) { return ar::empty(); })
                        .success_status(status::no_content)
                        .deprecated(),
                    ar::get<"/files/{rest:path}">([](ar::request&, std::string_view) { return ar::text("file"); }),
                    ar::get<"/">([](ar::request&) -> ar::task<ar::response> { co_return ar::text("home"); }));
}

}  // namespace

TEST_CASE("openapi: the document's frame, info and servers") {
  const parsed_document document(ar::openapi_document(
      table(), {.title = "Shop", .version = "2.1.0", .description = "A shop", .servers = {"https://shop.example/v2"}}));
  CHECK(document.text("/openapi") == "3.1.0");
  CHECK(document.text("/info/title") == "Shop");
  CHECK(document.text("/info/version") == "2.1.0");
  CHECK(document.text("/info/description") == "A shop");
  CHECK(document.text("/servers/0/url") == "https://shop.example/v2");
  CHECK(document.has("/paths/~1things~1{id}/get"));
  CHECK(document.has("/paths/~1things/post"));
  CHECK(document.has("/paths/~1things/get"));
  CHECK(document.has("/paths/~1things~1{key}/delete"));
  CHECK(document.has("/paths/~1files~1{rest}/get"));
  CHECK(document.has("/paths/~1/get"));
  CHECK_FALSE(document.has("/paths/~1things~1{id:int}"));
}

TEST_CASE("openapi: a schema for every member type typed JSON reads") {
  const parsed_document document(ar::openapi_document(table(), {}));
  const auto property = [&](std::string_view name) {
    return document.minified("/components/schemas/everything/properties/" + std::string(name));
  };
  CHECK(property("flag") == R"({"type":"boolean"})");
  CHECK(property("count") == R"({"type":"integer","format":"int32"})");
  CHECK(property("big") == R"({"type":"integer","format":"int64"})");
  CHECK(property("small") == R"({"type":"integer","minimum":0,"maximum":255})");
  CHECK(property("ratio") == R"({"type":"number","format":"float"})");
  CHECK(property("score") == R"({"type":"number","format":"double"})");
  CHECK(property("name") == R"({"type":"string"})");
  CHECK(property("tint") == R"({"type":"string","enum":["red","green"]})");
  CHECK(property("maybe") == R"({"type":"integer","format":"int32"})");
  CHECK(property("words") == R"({"type":"array","items":{"type":"string"}})");
  CHECK(property("totals") == R"({"type":"object","additionalProperties":{"type":"integer","format":"int32"}})");
  CHECK(property("when") == R"({"type":"string","format":"date-time"})");
  CHECK(property("home") == R"({"$ref":"#/components/schemas/address"})");
  CHECK(property("others") == R"({"type":"array","items":{"$ref":"#/components/schemas/address"}})");
  CHECK(property("anything") == "{}");
  CHECK(property("outline") ==
        R"({"oneOf":[)"
        R"({"type":"object","properties":{"kind":{"type":"string","const":"circle"}},"required":["kind"],)"
        R"("allOf":[{"$ref":"#/components/schemas/circle"}]},)"
        R"({"type":"object","properties":{"kind":{"type":"string","const":"square"}},"required":["kind"],)"
        R"("allOf":[{"$ref":"#/components/schemas/square"}]}],"discriminator":{"propertyName":"kind"}})");

  // Nested structs are schemas of their own, a struct that holds itself refers to itself.
  CHECK(document.minified("/components/schemas/address") ==
        R"({"type":"object","properties":{"street":{"type":"string"},"city":{"type":"string"}},)"
        R"("required":["street"]})");
  CHECK(document.minified("/components/schemas/node/properties/children") ==
        R"({"type":"array","items":{"$ref":"#/components/schemas/node"}})");
  CHECK(document.minified("/components/schemas/circle") ==
        R"({"type":"object","properties":{"radius":{"type":"number","format":"double"}},"required":["radius"]})");
}

TEST_CASE("openapi: required lists leave optional members out") {
  const parsed_document document(ar::openapi_document(table(), {}));
  CHECK(document.minified("/components/schemas/everything/required") ==
        R"(["flag","count","big","small","ratio","score","name","tint","words","totals","when","home",)"
        R"("others","outline","tree","anything"])");
  CHECK(document.minified("/components/schemas/Limited/required") == R"(["title","prio","items","level"])");
}

TEST_CASE("openapi: json_fields rules become JSON Schema keywords, under the member's JSON name") {
  const parsed_document document(ar::openapi_document(table(), {}));
  const auto property = [&](std::string_view name) {
    return document.minified("/components/schemas/Limited/properties/" + std::string(name));
  };
  CHECK(property("title") == R"({"type":"string","minLength":1,"maxLength":200})");
  CHECK(property("prio") == R"({"type":"integer","format":"int32","minimum":0,"maximum":5})");
  CHECK(property("items") == R"({"type":"array","items":{"type":"integer","format":"int32"},"maxItems":3})");
  CHECK(property("code") == R"({"type":"string","pattern":"^[A-Z]{3}$"})");
  CHECK(property("level") == R"({"type":"string","enum":["low","high"]})");
  CHECK_FALSE(document.has("/components/schemas/Limited/properties/priority"));
}

TEST_CASE("openapi: path, query and header parameters") {
  const parsed_document document(ar::openapi_document(table(), {}));
  CHECK(document.minified("/paths/~1things~1{id}/get/parameters") ==
        R"([{"name":"id","in":"path","required":true,"schema":{"type":"integer","format":"int64"}}])");
  CHECK(document.minified("/paths/~1things~1{key}/delete/parameters/0/schema") ==
        R"({"type":"string","format":"uuid"})");
  CHECK(document.text("/paths/~1files~1{rest}/get/parameters/0/name") == "rest");

  const std::string list = "/paths/~1things/get/parameters/";
  CHECK(document.minified(list + "0") ==
        R"({"name":"limit","in":"query","schema":{"type":"integer","format":"int32","minimum":1,"maximum":100,)"
        R"("default":20}})");
  CHECK(document.minified(list + "1") == R"({"name":"done","in":"query","schema":{"type":"boolean","default":false}})");
  CHECK(document.minified(list + "2") == R"({"name":"after","in":"query","schema":{"type":"string"}})");
  CHECK(document.text(list + "3/name") == "tag");
  CHECK(document.text(list + "3/style") == "form");
  CHECK(document.at(list + "3/explode").get_bool().value());
  CHECK(document.minified(list + "3/schema") == R"({"type":"array","items":{"type":"string"}})");
  CHECK(document.minified(list + "4/schema") == R"({"type":"string","enum":["red","green"],"default":"green"})");
  CHECK(document.minified(list + "5") ==
        R"({"name":"X-Tenant","in":"header","required":true,"schema":{"type":"string"}})");
  CHECK(document.minified(list + "6") ==
        R"({"name":"X-Trace","in":"header","schema":{"type":"integer","minimum":0,"maximum":4294967295}})");
  CHECK_FALSE(document.has(list + "7"));
}

TEST_CASE("openapi: request bodies and responses") {
  const parsed_document document(ar::openapi_document(table(), {}));
  CHECK(document.minified("/paths/~1things/post/requestBody") ==
        R"({"required":true,"content":{"application/json":{"schema":{"$ref":"#/components/schemas/Limited"}}}})");
  CHECK(document.minified("/paths/~1things/post/responses/201/content") ==
        R"({"application/json":{"schema":{"$ref":"#/components/schemas/Limited"}}})");
  CHECK_FALSE(document.has("/paths/~1things/post/responses/200"));
  CHECK(document.minified("/paths/~1things/post/responses/422/content") ==
        R"({"application/problem+json":{"schema":{"$ref":"#/components/schemas/ValidationProblem"}}})");
  CHECK(document.minified("/paths/~1things/post/responses/default/content") ==
        R"({"application/problem+json":{"schema":{"$ref":"#/components/schemas/Problem"}}})");
  CHECK(document.minified("/paths/~1things/get/responses/200/content/application~1json/schema") ==
        R"({"type":"array","items":{"$ref":"#/components/schemas/Limited"}})");
  CHECK(document.has("/paths/~1things/get/responses/422"));

  // Nothing read by type, so no 422; a handler's own response has no schema.
  CHECK_FALSE(document.has("/paths/~1things~1{id}/get/responses/422"));
  CHECK_FALSE(document.has("/paths/~1things~1{id}/get/requestBody"));
  CHECK(document.minified("/paths/~1things~1{key}/delete/responses/204") == R"({"description":"No Content"})");
  CHECK(document.minified("/paths/~1/get/responses/200") == R"({"description":"OK"})");
  CHECK(document.has("/paths/~1/get/responses/default"));
  CHECK_FALSE(document.has("/paths/~1/get/parameters"));

  CHECK(document.minified("/components/schemas/Problem/required") == R"(["type","title","status"])");
  CHECK(document.minified("/components/schemas/ValidationProblem/allOf") ==
        R"([{"$ref":"#/components/schemas/Problem"}])");
  CHECK(document.minified("/components/schemas/ValidationProblem/properties/errors/items/oneOf/0/required") ==
        R"(["pointer","detail"])");
}

TEST_CASE("openapi: route metadata") {
  const parsed_document document(ar::openapi_document(table(), {}));
  CHECK(document.text("/paths/~1things~1{id}/get/summary") == "One thing");
  CHECK(document.text("/paths/~1things~1{id}/get/description") == "Every *member* type");
  CHECK(document.minified("/paths/~1things~1{id}/get/tags") == R"(["things","catalogue"])");
  CHECK(document.text("/paths/~1things~1{id}/get/operationId") == "findThing");
  CHECK(document.text("/paths/~1things/post/operationId") == "post_things");
  CHECK(document.text("/paths/~1things~1{key}/delete/operationId") == "delete_things_key");
  CHECK(document.at("/paths/~1things~1{key}/delete/deprecated").get_bool().value());
  CHECK_FALSE(document.has("/paths/~1things/post/deprecated"));
  CHECK_FALSE(document.has("/paths/~1things/post/tags"));
}

TEST_CASE("openapi: metadata survives per-route middleware added after it") {
  struct passing {
    ar::task<ar::response> operator()(ar::request& req, ar::next next) const { co_return co_await next(req); }
  };
  auto routes = ar::routes(ar::get<"/a">([] { return ar::text("a"); }).summary("A").use(passing{}));
  const parsed_document document(ar::openapi_document(routes, {}));
  CHECK(document.text("/paths/~1a/get/summary") == "A");
}

TEST_CASE("openapi: two types of one name are refused, with the way out named") {
  auto routes = ar::routes(ar::post<"/a">([](ar::json_body<shop::address>) { return other::address{}; }));
  CHECK_THROWS_WITH_AS(static_cast<void>(ar::openapi_document(routes, {})), doctest::Contains("json_schema_name"),
                       std::logic_error);
}

TEST_CASE("openapi: operation ids are unique: made ones numbered, a given one twice refused") {
  auto made = ar::routes(ar::get<"/a/{x}">([](std::string_view) { return ar::text("x"); }),
                         ar::get<"/a/x">([] { return ar::text("literal"); }));
  const parsed_document document(ar::openapi_document(made, {}));
  CHECK(document.text("/paths/~1a~1{x}/get/operationId") == "get_a_x");
  CHECK(document.text("/paths/~1a~1x/get/operationId") == "get_a_x_2");

  auto given = ar::routes(ar::get<"/a">([] { return ar::text("a"); }).operation_id("same"),
                          ar::get<"/b">([] { return ar::text("b"); }).operation_id("same"));
  CHECK_THROWS_WITH_AS(static_cast<void>(ar::openapi_document(given, {})), doctest::Contains("operation id"),
                       std::logic_error);
}

TEST_CASE("openapi: readable schema names") {
  using asyncrest::detail::readable_type_name;
  CHECK(readable_type_name("shop::page<shop::todo>") == "page_todo");
  CHECK(readable_type_name("(anonymous namespace)::todo") == "todo");
  CHECK(readable_type_name("{anonymous}::todo") == "todo");
  CHECK(readable_type_name("todo") == "todo");
  CHECK(asyncrest::detail::type_name<shop::address>() == "shop::address");
  CHECK(asyncrest::detail::openapi_path("/a/{id:int}/b/{rest:path}") == "/a/{id}/b/{rest}");
  CHECK(asyncrest::detail::openapi_path("/a/{id}") == "/a/{id}");
}

TEST_CASE("openapi: openapi_route serves the document, and routes(...) takes a whole table") {
  auto api = table();
  auto document = ar::openapi_route<"/openapi.json">(api, {.title = "Shop"});
  ar::app app{ar::routes(std::move(api), std::move(document))};
  ar::test_client client{app};
  const ar::client_response answer = client.get("/openapi.json");
  CHECK(answer.status == status::ok);
  CHECK(answer.headers.get("Content-Type") == "application/json");
  const parsed_document served(answer.body);
  CHECK(served.text("/info/title") == "Shop");
  // The table's own routes are served beside it, and the document does not list itself.
  CHECK(client.get("/things/7").status == status::ok);
  CHECK(served.has("/paths/~1things~1{id}/get"));
  CHECK_FALSE(served.has("/paths/~1openapi.json"));
}

TEST_CASE("swagger_ui: the page, Swagger UI's files by name only, and 503 saying how to install them") {
  const std::filesystem::path folder =
      std::filesystem::temp_directory_path() / ("asyncrest-swagger-ui-" + std::to_string(::getpid()));
  std::filesystem::create_directories(folder);
  std::ofstream(folder / "secret.txt") << "not for clients";
  ar::app app{ar::routes(
      ar::swagger_ui<"/docs">({.directory = folder, .document_url = "/api/openapi.json", .title = "Shop <API>"}))};
  ar::test_client client{app};

  // Not installed yet: a problem that names the package.
  ar::client_response missing = client.get("/docs");
  CHECK(missing.status == status::service_unavailable);
  CHECK(missing.headers.get("Content-Type") == "application/problem+json");
  CHECK(missing.body.find("npm install swagger-ui-dist") != std::string::npos);
  CHECK(client.get("/docs/swagger-ui.css").status == status::service_unavailable);

  std::ofstream(folder / "swagger-ui-bundle.js") << "window.SwaggerUIBundle = function () {};";
  std::ofstream(folder / "swagger-ui.css") << "body {}";
  ar::client_response page = client.get("/docs");
  CHECK(page.status == status::ok);
  CHECK(page.headers.get("Content-Type") == "text/html; charset=utf-8");
  CHECK(page.body.find("<title>Shop &lt;API&gt;</title>") != std::string::npos);
  CHECK(page.body.find("src=\"/docs/swagger-ui-bundle.js\"") != std::string::npos);
  CHECK(page.body.find("url: \"/api/openapi.json\"") != std::string::npos);

  ar::client_response script = client.get("/docs/swagger-ui-bundle.js");
  CHECK(script.status == status::ok);
  CHECK(script.headers.get("Content-Type") == "text/javascript; charset=utf-8");
  CHECK(script.body == "window.SwaggerUIBundle = function () {};");
  CHECK(client.get("/docs/swagger-ui.css").body == "body {}");

  // Any other name is no file of Swagger UI, even one that is in the folder.
  CHECK(client.get("/docs/secret.txt").status == status::not_found);
  CHECK(client.get("/docs/..%2Fsecret.txt").status == status::not_found);
  std::filesystem::remove_all(folder);
}
