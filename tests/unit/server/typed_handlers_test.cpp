// Typed handlers through the in-process test client: a JSON body, query parameters and header
// fields read by type (415, 400 and one 422 listing every misfit with a pointer or a name), typed
// results (a struct, a status pair, a typed_response, as values and as tasks), today's forms
// unchanged, and the compile-time description of a route.
#include <asyncrest/server/typed_parameters.hpp>

#include <asyncrest/core/json_fields.hpp>
#include <asyncrest/server/detail/route_description.hpp>
#include <asyncrest/server/route.hpp>
#include <asyncrest/server/router.hpp>
#include <asyncrest/server/test_client.hpp>
#include <asyncrest/server/typed_results.hpp>

#include <doctest/doctest.h>
#include <asio/post.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace {

namespace ar = asyncrest;
using ar::status;

enum class order_by { newest, oldest };

struct listing {
  int limit = 20;
  std::optional<std::string> after;
  std::vector<std::string> tag;
  double min_score = 0.5;
  bool archived = false;
  order_by order = order_by::newest;
  std::optional<std::uint8_t> page;
};

struct line {
  std::string name;
  int quantity;
};

struct new_order {
  std::string title;
  std::vector<line> lines;
};

struct order_view {
  std::int64_t id;
  std::string title;
  std::size_t lines;
};

}  // namespace

template <>
struct asyncrest::json_fields<listing> {
  static constexpr auto rules = asyncrest::fields(asyncrest::field<&listing::limit>{.minimum = 1, .maximum = 100},
                                                  asyncrest::field<&listing::min_score>{.name = "min-score"},
                                                  asyncrest::field<&listing::after>{.length = {.maximum = 8}});
};

namespace {

/// The query struct echoed, to see what was read.
struct listing_echo {
  int limit;
  std::optional<std::string> after;
  std::vector<std::string> tag;
  double min_score;
  bool archived;
  order_by order;
  std::optional<std::uint8_t> page;
  std::optional<std::string> tenant;
};

order_view view_of(std::int64_t id, const new_order& order) { return {id, order.title, order.lines.size()}; }

auto make_routes() {
  return ar::routes(
      ar::get<"/orders">([](ar::query<listing> query, ar::header<"X-Tenant", std::optional<std::string>> tenant) {
        const listing& asked = *query;
        return listing_echo{asked.limit,    asked.after, asked.tag,  asked.min_score,
                            asked.archived, asked.order, asked.page, tenant.value};
      }),
      ar::post<"/lists/{list:int}/orders">([](std::int64_t list, ar::json_body<new_order> order,
                                              ar::header<"X-Priority", int> priority,
                                              ar::query<listing> query) -> std::pair<status, order_view> {
        order_view made = view_of(list * 1000 + *priority, *order);
        made.lines += static_cast<std::size_t>(query->limit) * 0;
        return {status::created, made};
      }),
      // The body before the header this time: parameters after the path come in any order.
      ar::put<"/orders/{id:int}">(
          [](std::int64_t id, const ar::header<"X-Version", std::uint32_t>& version,
             const ar::json_body<new_order>& order) -> ar::task<ar::typed_response<order_view>> {
            // Suspends before reading its parameters: they must outlive the handler's first wait.
            co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
            ar::typed_response<order_view> out{.body = view_of(id, *order), .status = status::accepted};
            out.headers.set("ETag", "\"" + std::to_string(*version + 1) + "\"");
            co_return out;
          }),
      ar::post<"/echo">([](ar::request& req, ar::json_body<line> item) -> ar::task<line> {
        item->name += std::string(req.header("X-Suffix").value_or(""));
        co_return *item;
      }),
      ar::post<"/problem">([](ar::json_body<line>) -> ar::typed_response<line> {
        ar::typed_response<line> out{.body = {"x", 1}, .status = status::ok};
        out.headers.set("Content-Type", "application/vnd.shop+json");
        return out;
      }),
      ar::get<"/totals">([]() -> ar::task<std::map<std::string, int>> {
        co_return std::map<std::string, int>{{"a", 1}};
      }),
      ar::get<"/lines">([]() {
        return std::vector<line>{{"a", 1}, {"b", 2}};
      }),
      ar::get<"/created">([]() -> ar::task<std::pair<status, line>> {
        co_return std::pair{status::created, line{"c", 3}};
      }),
      // Today's forms, unchanged.
      ar::get<"/plain/{id:int}">([](ar::request& req, std::int64_t id) {
        return ar::text(std::to_string(id) + std::string(req.query("x").value_or("")));
      }),
      ar::get<"/plain-task/{name}">(
          [](const std::string& name) -> ar::task<ar::response> { co_return ar::text(name); }));
}

auto make_app() { return ar::app{make_routes()}; }

ar::headers fields(std::initializer_list<std::pair<std::string_view, std::string_view>> list) {
  ar::headers out;
  for (const auto& [name, value] : list) out.add(name, value);
  return out;
}

ar::client_response send(ar::test_client& client, ar::method verb, std::string url, std::string body,
                         ar::headers with = {}) {
  return client.request(ar::client_request(verb, std::move(url), std::move(with), std::move(body)));
}

}  // namespace

TEST_CASE("typed handlers: query parameters are read into a struct, with defaults, lists and renames") {
  auto app = make_app();
  ar::test_client client{app};

  const ar::client_response defaults = client.get("/orders?unknown=1");
  CHECK(defaults.status == status::ok);
  CHECK(defaults.headers.get("Content-Type") == "application/json");
  CHECK(defaults.body == R"({"limit":20,"tag":[],"min_score":0.5,"archived":false,"order":"newest"})");

  const ar::client_response given =
      client.get("/orders?limit=5&after=a%2Bb+c&tag=x&tag=y&min-score=1.25&archived=1&order=oldest&page=7",
                 fields({{"X-Tenant", "acme"}}));
  CHECK(given.status == status::ok);
  CHECK(given.body == R"({"limit":5,"after":"a+b c","tag":["x","y"],"min_score":1.25,"archived":true,"order":"oldest",)"
                      R"("page":7,"tenant":"acme"})");

  // `?archived` alone is an empty value, which no bool is.
  const ar::client_response flags = client.get("/orders?archived=false&after=");
  CHECK(flags.body == R"({"limit":20,"after":"","tag":[],"min_score":0.5,"archived":false,"order":"newest"})");
}

TEST_CASE("typed handlers: each query misfit is named, and their rules apply to what was given") {
  auto app = make_app();
  ar::test_client client{app};

  const ar::client_response bad =
      client.get("/orders?limit=ten&min-score=x&archived=yes&order=sideways&page=300&after=123456789&limit=3");
  CHECK(bad.status == status::unprocessable_content);
  CHECK(bad.headers.get("Content-Type") == "application/problem+json");
  CHECK(bad.body == R"({"type":"about:blank","title":"Unprocessable Content","status":422,)"
                    R"("detail":"the request does not fit what this resource accepts","errors":[)"
                    R"({"in":"query","name":"limit","detail":"expected an integer"},)"
                    R"({"in":"query","name":"min-score","detail":"expected a number"},)"
                    R"({"in":"query","name":"archived","detail":"expected true, false, 1 or 0"},)"
                    R"({"in":"query","name":"order","detail":"must be one of: newest, oldest"},)"
                    R"({"in":"query","name":"page","detail":"must be an integer from 0 to 255"},)"
                    R"({"in":"query","name":"limit","detail":"given more than once; this parameter takes one value"},)"
                    R"({"in":"query","name":"after","detail":"must have at most 8 characters"}]})");

  const ar::client_response over = client.get("/orders?limit=101");
  CHECK(over.status == status::unprocessable_content);
  CHECK(over.body.find(R"({"in":"query","name":"limit","detail":"must be at most 100"})") != std::string::npos);

  const ar::client_response malformed = client.get("/orders?limit=%zz");
  CHECK(malformed.status == status::bad_request);
}

TEST_CASE("typed handlers: a JSON body, a header and a query together; 415 and 400 before any list") {
  auto app = make_app();
  ar::test_client client{app};
  const std::string body = R"({"title":"tea","lines":[{"name":"cup","quantity":2}]})";

  const ar::client_response made = send(client, ar::method::post, "/lists/3/orders", body,
                                        fields({{"Content-Type", "application/json"}, {"X-Priority", "7"}}));
  CHECK(made.status == status::created);
  CHECK(made.body == R"({"id":3007,"title":"tea","lines":1})");

  const ar::client_response suffixed =
      send(client, ar::method::post, "/lists/3/orders", body,
           fields({{"Content-Type", "application/vnd.shop+json; charset=utf-8"}, {"X-Priority", "-1"}}));
  CHECK(suffixed.status == status::created);

  const ar::client_response no_type =
      send(client, ar::method::post, "/lists/3/orders", body, fields({{"X-Priority", "7"}}));
  CHECK(no_type.status == status::unsupported_media_type);
  CHECK(no_type.headers.get("Content-Type") == "application/problem+json");
  const ar::client_response text = client.post("/echo", body);
  CHECK(text.status == status::unsupported_media_type);

  const ar::client_response not_json =
      send(client, ar::method::post, "/lists/3/orders", "{\"title\":", fields({{"Content-Type", "application/json"}}));
  CHECK(not_json.status == status::bad_request);
  CHECK(not_json.body.find("\"errors\"") == std::string::npos);

  // A path parameter that does not convert is still a 404, before anything is read.
  const ar::client_response too_big =
      send(client, ar::method::post, "/lists/99999999999999999999/orders", "", fields({}));
  CHECK(too_big.status == status::not_found);
}

TEST_CASE("typed handlers: every misfit of a request in one 422: body pointers, query and header names") {
  auto app = make_app();
  ar::test_client client{app};

  const ar::client_response all = send(client, ar::method::post, "/lists/3/orders?limit=many",
                                       R"({"lines":[{"name":"cup","quantity":2},{"quantity":"two"}],"note":1})",
                                       fields({{"Content-Type", "application/json"}}));
  CHECK(all.status == status::unprocessable_content);
  CHECK(all.headers.get("Content-Type") == "application/problem+json");
  CHECK(all.body == R"({"type":"about:blank","title":"Unprocessable Content","status":422,)"
                    R"("detail":"the request does not fit what this resource accepts","errors":[)"
                    R"({"pointer":"/lines/1/quantity","detail":"expected an integer"},)"
                    R"({"pointer":"/lines/1/name","detail":"required"},)"
                    R"({"pointer":"/title","detail":"required"},)"
                    R"({"in":"header","name":"X-Priority","detail":"required"},)"
                    R"({"in":"query","name":"limit","detail":"expected an integer"}]})");

  // Only the body wrong: the same answer read_json_body gives.
  const ar::client_response body_only = send(client, ar::method::post, "/lists/3/orders", R"({"title":5,"lines":[]})",
                                             fields({{"Content-Type", "application/json"}, {"X-Priority", "1"}}));
  CHECK(body_only.status == status::unprocessable_content);
  CHECK(body_only.body == R"({"type":"about:blank","title":"Unprocessable Content","status":422,)"
                          R"("detail":"the JSON body does not fit what this resource accepts","errors":[)"
                          R"({"pointer":"/title","detail":"expected a string"}]})");

  const ar::client_response bad_header = send(client, ar::method::put, "/orders/4", R"({"title":"t","lines":[]})",
                                              fields({{"Content-Type", "application/json"}, {"X-Version", "-3"}}));
  CHECK(bad_header.status == status::unprocessable_content);
  CHECK(bad_header.body.find(
            R"({"in":"header","name":"X-Version","detail":"must be an integer from 0 to 4294967295"})") !=
        std::string::npos);
}

TEST_CASE("typed handlers: typed results as values and tasks; coroutines keep their const& parameters") {
  auto app = make_app();
  ar::test_client client{app};

  const ar::client_response updated =
      send(client, ar::method::put, "/orders/4", R"({"title":"t","lines":[{"name":"a","quantity":1}]})",
           fields({{"Content-Type", "application/json"}, {"X-Version", "41"}}));
  CHECK(updated.status == status::accepted);
  CHECK(updated.headers.get("ETag") == "\"42\"");
  CHECK(updated.headers.get("Content-Type") == "application/json");
  CHECK(updated.body == R"({"id":4,"title":"t","lines":1})");

  const ar::client_response echoed = send(client, ar::method::post, "/echo", R"({"name":"a","quantity":1})",
                                          fields({{"Content-Type", "application/json"}, {"X-Suffix", "!"}}));
  CHECK(echoed.status == status::ok);
  CHECK(echoed.body == R"({"name":"a!","quantity":1})");

  const ar::client_response own_type = send(client, ar::method::post, "/problem", R"({"name":"a","quantity":1})",
                                            fields({{"Content-Type", "application/json"}}));
  CHECK(own_type.headers.get("Content-Type") == "application/vnd.shop+json");
  std::size_t content_types = 0;
  for (const auto& [name, value] : own_type.headers) content_types += ar::iequals(name, "Content-Type") ? 1 : 0;
  CHECK(content_types == 1);

  CHECK(client.get("/totals").body == R"({"a":1})");
  CHECK(client.get("/lines").body == R"([{"name":"a","quantity":1},{"name":"b","quantity":2}])");
  const ar::client_response created = client.get("/created");
  CHECK(created.status == status::created);
  CHECK(created.body == R"({"name":"c","quantity":3})");

  CHECK(client.get("/plain/5?x=y").body == "5y");
  CHECK(client.get("/plain-task/ann").body == "ann");
  CHECK(client.head("/lines").body.empty());
}

// The compile-time description a route table walker reads.
namespace {

ar::task<ar::typed_response<order_view>> replace_order(std::int64_t, const ar::header<"X-Version", std::uint32_t>&,
                                                       ar::json_body<new_order>, ar::query<listing>,
                                                       ar::header<"X-Tenant", std::optional<std::string>>) {
  co_return ar::typed_response<order_view>{};
}
ar::response plain_order(ar::request&, std::string_view) { return ar::empty(); }

using replacing = ar::detail::route_description<decltype(ar::put<"/orders/{id:int}">(&replace_order))>;
static_assert(replacing::path == "/orders/{id:int}");
static_assert(replacing::route_method == ar::method::put);
static_assert(!replacing::takes_request);
static_assert(std::is_same_v<replacing::path_parameters, std::tuple<std::int64_t>>);
static_assert(std::is_same_v<replacing::body, new_order>);
static_assert(std::is_same_v<replacing::query, listing>);
static_assert(std::is_same_v<replacing::headers, std::tuple<ar::header<"X-Version", std::uint32_t>,
                                                            ar::header<"X-Tenant", std::optional<std::string>>>>);
static_assert(std::tuple_element_t<1, replacing::headers>::name == "X-Tenant");
static_assert(std::is_same_v<replacing::result, ar::typed_response<order_view>>);
static_assert(std::is_same_v<replacing::result_body, order_view>);
static_assert(replacing::result_sets_status);

using plain = ar::detail::route_description<decltype(ar::get<"/plain/{name}">(&plain_order))>;
static_assert(plain::takes_request);
static_assert(std::is_same_v<plain::path_parameters, std::tuple<std::string_view>>);
static_assert(std::is_void_v<plain::body> && std::is_void_v<plain::query> && std::is_void_v<plain::result_body>);
static_assert(std::tuple_size_v<plain::headers> == 0);
static_assert(std::is_same_v<plain::result, ar::response>);

}  // namespace

TEST_CASE("typed handlers: function pointers are handlers too, typed or not") {
  ar::app app{ar::routes(ar::put<"/orders/{id:int}">(&replace_order), ar::get<"/plain/{name}">(&plain_order))};
  ar::test_client client{app};
  CHECK(client.get("/plain/x").status == status::no_content);
  const ar::client_response replaced = send(client, ar::method::put, "/orders/1", R"({"title":"t","lines":[]})",
                                            fields({{"Content-Type", "application/json"}, {"X-Version", "1"}}));
  CHECK(replaced.status == status::ok);
  CHECK(replaced.body == R"({"id":0,"title":"","lines":0})");
}

TEST_CASE("typed handlers: a route with a json_body cannot be set to stream its body") {
  auto reads_json = [](ar::json_body<line> item) { return ar::text(item->name); };
  CHECK_THROWS_WITH_AS((void)ar::post<"/lines">(reads_json).body({.streamed = true}),
                       "asyncrest: route /lines: a json_body is read whole, so its route cannot stream its body",
                       std::invalid_argument);
  CHECK_NOTHROW((void)ar::post<"/lines">(reads_json).body({.max_bytes = 1024}));
}
