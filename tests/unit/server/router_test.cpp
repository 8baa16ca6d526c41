// routes(...): dispatching requests to handlers, with parameters converted, per-route middleware,
// and the automatic 404, 405, 501 and OPTIONS answers.
#include <asyncrest/core/http_error.hpp>
#include <asyncrest/core/method.hpp>
#include <asyncrest/core/url.hpp>
#include <asyncrest/server/middleware.hpp>
#include <asyncrest/server/request.hpp>
#include <asyncrest/server/response.hpp>
#include <asyncrest/server/route.hpp>
#include <asyncrest/server/router.hpp>
#include <asyncrest/server/test_client.hpp>

#include <doctest/doctest.h>
#include <simdjson.h>
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>

#include <charconv>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace {

namespace ar = asyncrest;
using ar::method;
using ar::request;
using ar::response;
using ar::status;
using ar::task;

// The pieces of a request a router looks at, owned for as long as the request is handled.
struct test_request {
  ar::request req;
  ar::detail::workspace space;
  std::string target;
  std::string path;

  test_request(method verb, std::string_view verb_name, std::string_view request_target) : target(request_target) {
    ar::detail::request_access::reset(req, &space);
    const std::string_view whole = target;
    const std::size_t question = whole.find('?');
    const std::string_view raw_path = whole.substr(0, question);
    const std::string_view query = question == std::string_view::npos ? std::string_view{} : whole.substr(question + 1);
    path = ar::percent_decode(raw_path).value_or(std::string(raw_path));
    ar::detail::request_access::fill(req, verb, verb_name, whole, path, raw_path, query, {}, 1, 1, true);
  }
};

/// Runs `work` to completion on a fresh event loop, on this thread, and returns its response or
/// rethrows its exception. (Not asio::use_future: that hands the result over through Asio's
/// system thread pool, a second thread that a unit test does not need.)
response run_here(task<response> work) {
  asio::io_context context;
  std::exception_ptr failure;
  std::optional<response> answer;
  asio::co_spawn(context, std::move(work), [&](std::exception_ptr error, response result) {
    failure = error;
    if (!error) answer = std::move(result);
  });
  context.run();
  if (failure) std::rethrow_exception(failure);
  return std::move(*answer);
}

template <class Router>
response dispatch(const Router& table, method verb, std::string_view target, std::string_view verb_name = {}) {
  test_request incoming(verb, verb_name.empty() ? ar::to_string(verb) : verb_name, target);
  return run_here(table(incoming.req));
}

// Like dispatch, but a handler's exception surfaces from get() whether it is thrown while the
// task is made (a plain handler) or while it runs (a coroutine).
template <class Router>
response dispatch_wrapped(const Router& table, method verb, std::string_view target) {
  test_request incoming(verb, ar::to_string(verb), target);
  auto wrapped = [&]() -> task<response> { co_return co_await table(incoming.req); };
  return run_here(wrapped());
}

std::string header(const response& res, std::string_view name) {
  const auto value = res.headers.get(name);
  return value ? std::string(*value) : std::string("<absent>");
}

void check_problem(const response& res, status code, std::string_view title, std::string_view detail) {
  CHECK(res.status == code);
  CHECK(header(res, "Content-Type") == "application/problem+json");
  simdjson::dom::parser parser;
  simdjson::dom::element document;
  REQUIRE(parser.parse(res.body).get(document) == simdjson::SUCCESS);
  CHECK(std::string_view(document["type"].get_string().value()) == "about:blank");
  CHECK(std::string_view(document["title"].get_string().value()) == title);
  CHECK(document["status"].get_int64().value() == static_cast<std::int64_t>(ar::to_number(code)));
  CHECK(std::string_view(document["detail"].get_string().value()) == detail);
}

std::string shortest(double value) {
  char digits[32];
  const auto result = std::to_chars(digits, digits + sizeof digits, value);
  return std::string(digits, result.ptr);
}

response plain_function(request& req) { return ar::text("plain function " + std::string(req.path())); }

struct service {
  std::string prefix;
  task<response> show(request& req, std::int64_t id) {
    co_return ar::text(prefix + "show " + std::to_string(id) + " " + std::string(req.method_name()));
  }
  response list() const { return ar::text(prefix + "list"); }
  response rename(std::string_view name) { return ar::text(prefix + "rename " + std::string(name)); }
};

// Middleware that record what they did in a shared log.
struct around_tag {
  std::vector<std::string>* log;
  std::string name;
  task<response> operator()(request& req, ar::next rest) const {
    log->push_back(name + " in");
    response res = co_await rest(req);
    log->push_back(name + " out");
    res.headers.add("X-Trace", name);
    co_return res;
  }
};

struct key_gate {
  std::vector<std::string>* log;
  std::optional<response> before(request& req) const {
    log->push_back("gate");
    if (req.query("key") == std::optional<std::string_view>("secret")) return std::nullopt;
    return ar::text("denied", status::forbidden);
  }
};

struct stamp {
  std::vector<std::string>* log;
  void after(const request&, response& res) const {
    log->push_back("stamp");
    res.headers.set("X-Stamp", "yes");
    if (res.status == status::ok) res.status = status::accepted;
  }
};

struct gate_and_stamp {
  std::vector<std::string>* log;
  std::optional<response> before(request& req) const {
    log->push_back("both before");
    if (req.query("early")) return ar::text("early", status::unauthorized);
    return std::nullopt;
  }
  void after(const request&, response& res) const {
    log->push_back("both after");
    res.body += " +after";
  }
};

}  // namespace

TEST_CASE("router: typed parameters reach the handler converted") {
  struct seen_values {
    std::int64_t a = 0;
    int b = 0;
    double c = 0;
    std::string d;
    std::string e;
    std::string rest;
  };
  seen_values seen;
  const auto table = ar::routes(ar::get<"/t/{a:int}/{b:int}/{c:float}/{d:str}/{e:str}/{rest:path}">(
      [&seen](request&, std::int64_t a, int b, double c, std::string_view d, std::string e,
              std::string_view rest) -> task<response> {
        seen.a = a;
        seen.b = b;
        seen.c = c;
        seen.d = std::string(d);
        seen.e = std::move(e);
        seen.rest = std::string(rest);
        co_return ar::text("done");
      }));

  const response res = dispatch(table, method::get, "/t/-9223372036854775808/2147483647/-2.5e3/%41b/x%20y/a/b%2Fc");
  CHECK(res.status == status::ok);
  CHECK(res.body == "done");
  CHECK(header(res, "Content-Type") == "text/plain; charset=utf-8");
  CHECK(seen.a == INT64_MIN);
  CHECK(seen.b == 2147483647);
  CHECK(seen.c == -2500.0);
  CHECK(seen.d == "Ab");
  CHECK(seen.e == "x y");
  CHECK(seen.rest == "a/b/c");
}

TEST_CASE("router: parameter types are deduced from the handler") {
  auto route = ar::get<"/d/{n}/{x}/{s}/{owned}">(
      [](std::int64_t n, double x, std::string_view s, std::string owned) -> task<response> {
        co_return ar::text(std::to_string(n) + "|" + shortest(x) + "|" + std::string(s) + "|" + owned);
      });
  using route_type = decltype(route);
  static_assert(route_type::pattern.parameter(0).type == ar::detail::parameter_type::integer);
  static_assert(route_type::pattern.parameter(1).type == ar::detail::parameter_type::number);
  static_assert(route_type::pattern.parameter(2).type == ar::detail::parameter_type::string);
  static_assert(route_type::pattern.parameter(3).type == ar::detail::parameter_type::string);
  const auto table = ar::routes(route);

  const response res = dispatch(table, method::get, "/d/12/0.1/abc/q%3Dr");
  CHECK(res.status == status::ok);
  CHECK(res.body == "12|0.1|abc|q=r");

  // A segment that is no integer does not match {n} (deduced as an integer).
  check_problem(dispatch(table, method::get, "/d/twelve/0.1/abc/x"), status::not_found, "Not Found",
                "no route matches this path");
  check_problem(dispatch(table, method::get, "/d/1/one/abc/x"), status::not_found, "Not Found",
                "no route matches this path");
  check_problem(dispatch(table, method::get, "/d/1/1//x"), status::not_found, "Not Found",
                "no route matches this path");
}

TEST_CASE("router: a value out of the handler parameter's range is answered with 404") {
  const auto table = ar::routes(
      ar::get<"/small/{v}">([](std::int8_t v) -> response { return ar::text(std::to_string(int{v})); }),
      ar::get<"/unsigned/{v:int}">([](std::uint8_t v) -> response { return ar::text(std::to_string(unsigned{v})); }),
      ar::get<"/short/{v}">([](short v) -> response { return ar::text(std::to_string(v)); }));

  CHECK(dispatch(table, method::get, "/small/127").body == "127");
  CHECK(dispatch(table, method::get, "/small/-128").body == "-128");
  check_problem(dispatch(table, method::get, "/small/128"), status::not_found, "Not Found",
                "no route matches this path");
  check_problem(dispatch(table, method::get, "/small/-129"), status::not_found, "Not Found",
                "no route matches this path");
  check_problem(dispatch(table, method::get, "/small/200"), status::not_found, "Not Found",
                "no route matches this path");

  CHECK(dispatch(table, method::get, "/unsigned/255").body == "255");
  check_problem(dispatch(table, method::get, "/unsigned/256"), status::not_found, "Not Found",
                "no route matches this path");
  check_problem(dispatch(table, method::get, "/unsigned/-1"), status::not_found, "Not Found",
                "no route matches this path");

  CHECK(dispatch(table, method::get, "/short/-32768").body == "-32768");
  CHECK(dispatch(table, method::get, "/short/32768").status == status::not_found);
}

TEST_CASE("router: a std::uint64_t parameter takes values past INT64_MAX") {
  const auto table =
      ar::routes(ar::get<"/u64/{v}">([](std::uint64_t v) -> response { return ar::text(std::to_string(v)); }));

  CHECK(dispatch(table, method::get, "/u64/9223372036854775807").body == "9223372036854775807");
  const response largest = dispatch(table, method::get, "/u64/18446744073709551615");
  CHECK(largest.status == status::ok);
  CHECK(largest.body == "18446744073709551615");
  CHECK(dispatch(table, method::get, "/u64/18446744073709551616").status == status::not_found);
}

TEST_CASE("router: plain handlers, handlers without request& and function pointers") {
  const auto table = ar::routes(
      ar::get<"/plain/{name}">([](std::string_view name) -> response { return ar::text("hi " + std::string(name)); }),
      ar::get<"/none">([]() -> response { return ar::text("no parameters"); }),
      ar::get<"/coroutine">([]() -> task<response> { co_return ar::text("coroutine"); }),
      ar::get<"/function">(&plain_function), ar::post<"/function-ref">(plain_function));

  CHECK(dispatch(table, method::get, "/plain/Ada").body == "hi Ada");
  CHECK(dispatch(table, method::get, "/none").body == "no parameters");
  CHECK(dispatch(table, method::get, "/coroutine").body == "coroutine");
  CHECK(dispatch(table, method::get, "/fun%63tion").body == "plain function /function");
  CHECK(dispatch(table, method::post, "/function-ref").body == "plain function /function-ref");
}

TEST_CASE("router: member function handlers") {
  service object{"svc: "};
  const auto table =
      ar::routes(ar::get<"/svc/{id:int}">(&service::show, &object), ar::get<"/svc">(&service::list, &object),
                 ar::put<"/svc/{name}">(&service::rename, &object));

  CHECK(dispatch(table, method::get, "/svc/42").body == "svc: show 42 GET");
  CHECK(dispatch(table, method::head, "/svc/7").body == "svc: show 7 HEAD");
  CHECK(dispatch(table, method::get, "/svc").body == "svc: list");
  CHECK(dispatch(table, method::put, "/svc/new").body == "svc: rename new");

  object.prefix = "changed: ";  // the handler calls the object, not a copy
  CHECK(dispatch(table, method::get, "/svc").body == "changed: list");
}

TEST_CASE("router: coroutine handlers may take path parameters by const reference") {
  // route.hpp allows `const T&` path parameters; the value must outlive the handler's coroutine.
  // (Only trivially copyable types here, so that a dangling reference reads a wrong value
  // rather than crashing the test run.)
  const auto table = ar::routes(
      ar::get<"/cref-int/{n:int}">(
          [](const std::int64_t& n) -> task<response> { co_return ar::text(std::to_string(n)); }),
      ar::get<"/cref-float/{x:float}">([](const double& x) -> task<response> { co_return ar::text(shortest(x)); }),
      ar::get<"/cref-plain/{n:int}">([](const std::int64_t& n) -> response { return ar::text(std::to_string(n)); }));

  CHECK(dispatch(table, method::get, "/cref-int/123456789").body == "123456789");
  CHECK(dispatch(table, method::get, "/cref-float/2.75").body == "2.75");
  CHECK(dispatch(table, method::get, "/cref-plain/987654321").body == "987654321");
}

TEST_CASE("router: path_parameter looks the matched values up by name") {
  const auto table = ar::routes(ar::get<"/p/{id:int}/{name}/{rest:path}">(
      [](request& req, std::int64_t, std::string_view, std::string_view) -> task<response> {
        std::string out;
        out += std::string(req.path_parameter("id").value_or("-")) + ",";
        out += std::string(req.path_parameter("name").value_or("-")) + ",";
        out += std::string(req.path_parameter("rest").value_or("-")) + ",";
        out += req.path_parameter("missing") ? "present" : "absent";
        out += ",";
        for (const ar::path_parameter& parameter : req.path_parameters()) out += std::string(parameter.name) + ";";
        co_return ar::text(out);
      }));

  CHECK(dispatch(table, method::get, "/p/5/J%C3%B6rg/x/y").body == "5,J\xC3\xB6rg,x/y,absent,id;name;rest;");
  CHECK(dispatch(table, method::get, "/p/5/a/").body == "5,a,,absent,id;name;rest;");
}

TEST_CASE("router: per-route middleware run in the order written") {
  std::vector<std::string> log;
  const auto table = ar::routes(ar::get<"/mw">([&log]() -> task<response> {
                                  log.push_back("handler");
                                  co_return ar::text("body");
                                })
                                    .use(around_tag{&log, "outer"})
                                    .use(key_gate{&log})
                                    .use(around_tag{&log, "inner"})
                                    .use(stamp{&log}),
                                ar::get<"/free">([&log]() -> response {
                                  log.push_back("free handler");
                                  return ar::text("free");
                                }));

  SUBCASE("the whole chain runs around the handler") {
    const response res = dispatch(table, method::get, "/mw?key=secret");
    CHECK(res.status == status::accepted);
    CHECK(res.body == "body");
    CHECK(header(res, "X-Stamp") == "yes");
    std::vector<std::string> traces;
    for (const auto& [name, value] : res.headers) {
      if (name == "X-Trace") traces.emplace_back(value);
    }
    CHECK(traces == std::vector<std::string>{"inner", "outer"});
    CHECK(log ==
          std::vector<std::string>{"outer in", "gate", "inner in", "handler", "stamp", "inner out", "outer out"});
  }

  SUBCASE("a before hook answers early and the rest of the chain is skipped") {
    const response res = dispatch(table, method::get, "/mw?key=wrong");
    CHECK(res.status == status::forbidden);
    CHECK(res.body == "denied");
    CHECK(header(res, "X-Stamp") == "<absent>");
    CHECK(header(res, "X-Trace") == "outer");
    CHECK(log == std::vector<std::string>{"outer in", "gate", "outer out"});
  }

  SUBCASE("middleware of one route do not run for another") {
    const response res = dispatch(table, method::get, "/free");
    CHECK(res.status == status::ok);
    CHECK(res.body == "free");
    CHECK(res.headers.size() == 1);
    CHECK(log == std::vector<std::string>{"free handler"});
  }
}

TEST_CASE("router: a middleware with both hooks runs after on its own early answer") {
  std::vector<std::string> log;
  const auto table = ar::routes(ar::get<"/both">([&log]() -> response {
                                  log.push_back("handler");
                                  return ar::text("handled");
                                }).use(gate_and_stamp{&log}));

  const response normal = dispatch(table, method::get, "/both");
  CHECK(normal.status == status::ok);
  CHECK(normal.body == "handled +after");
  CHECK(log == std::vector<std::string>{"both before", "handler", "both after"});

  log.clear();
  const response early = dispatch(table, method::get, "/both?early");
  CHECK(early.status == status::unauthorized);
  CHECK(early.body == "early +after");
  CHECK(log == std::vector<std::string>{"both before", "both after"});
}

TEST_CASE("router: 404 with a problem+json body") {
  const auto table = ar::routes(ar::get<"/known">([]() -> response { return ar::text("known"); }));
  const response res = dispatch(table, method::get, "/unknown");
  check_problem(res, status::not_found, "Not Found", "no route matches this path");
  CHECK(header(res, "Allow") == "<absent>");

  check_problem(dispatch(table, method::delete_, "/unknown"), status::not_found, "Not Found",
                "no route matches this path");
  check_problem(dispatch(table, method::options, "/unknown"), status::not_found, "Not Found",
                "no route matches this path");
}

TEST_CASE("router: 405 with the complete Allow header") {
  const auto table = ar::routes(ar::get<"/r">([]() -> response { return ar::text("get"); }),
                                ar::post<"/r">([]() -> response { return ar::text("post"); }),
                                ar::delete_<"/other">([]() -> response { return ar::text("delete"); }),
                                ar::put<"/items/{id:int}">([](int) -> response { return ar::text("put"); }),
                                ar::patch<"/items/mine">([]() -> response { return ar::text("patch"); }));

  const response put = dispatch(table, method::put, "/r");
  check_problem(put, status::method_not_allowed, "Method Not Allowed", "the path does not support that method");
  CHECK(header(put, "Allow") == "GET, HEAD, POST, OPTIONS");

  const response get_other = dispatch(table, method::get, "/other");
  check_problem(get_other, status::method_not_allowed, "Method Not Allowed", "the path does not support that method");
  CHECK(header(get_other, "Allow") == "DELETE, OPTIONS");

  const response head_other = dispatch(table, method::head, "/other");
  CHECK(head_other.status == status::method_not_allowed);
  CHECK(header(head_other, "Allow") == "DELETE, OPTIONS");

  // The allowed methods of a parameter route and a literal route for the same path, together.
  const response mine = dispatch(table, method::get, "/items/mine");
  CHECK(mine.status == status::method_not_allowed);
  CHECK(header(mine, "Allow") == "PATCH, OPTIONS");
  const response seven = dispatch(table, method::delete_, "/items/7");
  CHECK(seven.status == status::method_not_allowed);
  CHECK(header(seven, "Allow") == "PUT, OPTIONS");

  CHECK(dispatch(table, method::post, "/r").body == "post");
  CHECK(dispatch(table, method::head, "/r").body == "get");
}

TEST_CASE("router: automatic OPTIONS") {
  bool options_called = false;
  const auto table = ar::routes(ar::get<"/r">([]() -> response { return ar::text("get"); }),
                                ar::post<"/r">([]() -> response { return ar::text("post"); }),
                                ar::put<"/w/{x}">([](std::string_view) -> response { return ar::text("put"); }),
                                ar::options<"/custom">([&options_called]() -> response {
                                  options_called = true;
                                  return ar::text("custom options");
                                }));

  const response r = dispatch(table, method::options, "/r");
  CHECK(r.status == status::no_content);
  CHECK(r.body.empty());
  CHECK(header(r, "Allow") == "GET, HEAD, POST, OPTIONS");
  CHECK(header(r, "Content-Type") == "<absent>");

  const response w = dispatch(table, method::options, "/w/anything");
  CHECK(w.status == status::no_content);
  CHECK(header(w, "Allow") == "PUT, OPTIONS");

  const response custom = dispatch(table, method::options, "/custom");
  CHECK(options_called);
  CHECK(custom.status == status::ok);
  CHECK(custom.body == "custom options");

  // A path that declares only OPTIONS refuses GET with OPTIONS alone in Allow.
  const response get_custom = dispatch(table, method::get, "/custom");
  CHECK(get_custom.status == status::method_not_allowed);
  CHECK(header(get_custom, "Allow") == "OPTIONS");
}

TEST_CASE("router: OPTIONS * lists every method of the table") {
  const auto table = ar::routes(ar::get<"/a">([]() -> response { return ar::text("a"); }),
                                ar::delete_<"/b">([]() -> response { return ar::text("b"); }),
                                ar::patch<"/c/{x}">([](int) -> response { return ar::text("c"); }));

  const response res = dispatch(table, method::options, "*");
  CHECK(res.status == status::no_content);
  CHECK(res.body.empty());
  CHECK(header(res, "Allow") == "GET, HEAD, PATCH, DELETE, OPTIONS");

  // "*" is only special for OPTIONS.
  check_problem(dispatch(table, method::get, "*"), status::not_found, "Not Found", "no route matches this path");
}

TEST_CASE("router: a method routes cannot declare is answered with 501") {
  const auto table = ar::routes(ar::get<"/a">([]() -> response { return ar::text("a"); }));
  check_problem(dispatch(table, method::other, "/a", "BREW"), status::not_implemented, "Not Implemented",
                "this server does not implement that method");
  check_problem(dispatch(table, method::other, "/nowhere", "PROPFIND"), status::not_implemented, "Not Implemented",
                "this server does not implement that method");
}

TEST_CASE("router: http_error thrown by a handler propagates out of the router's task") {
  const auto table = ar::routes(ar::get<"/coroutine">([]() -> task<response> {
                                  throw ar::http_error(status::conflict, "already taken");
                                  co_return ar::text("unreachable");
                                }),
                                ar::get<"/plain/{id:int}">([](std::int64_t id) -> response {
                                  throw ar::http_error(status::gone, "item " + std::to_string(id) + " is gone");
                                }),
                                ar::get<"/other">([]() -> task<response> {
                                  throw std::runtime_error("internal detail");
                                  co_return ar::text("unreachable");
                                }));

  try {
    (void)dispatch(table, method::get, "/coroutine");
    FAIL("no exception");
  } catch (const ar::http_error& error) {
    CHECK(error.code() == status::conflict);
    CHECK(error.detail() == "already taken");
  }

  try {
    (void)dispatch_wrapped(table, method::get, "/plain/9");
    FAIL("no exception");
  } catch (const ar::http_error& error) {
    CHECK(error.code() == status::gone);
    CHECK(error.detail() == "item 9 is gone");
  }

  CHECK_THROWS_AS((void)dispatch(table, method::get, "/other"), std::runtime_error);
}

TEST_CASE("allow_header") {
  using ar::detail::allow_header;
  using ar::detail::mask_of;
  CHECK(allow_header(0) == "OPTIONS");
  CHECK(allow_header(mask_of(method::get)) == "GET, HEAD, OPTIONS");
  CHECK(allow_header(mask_of(method::head)) == "HEAD, OPTIONS");
  CHECK(allow_header(mask_of(method::options)) == "OPTIONS");
  CHECK(allow_header(static_cast<ar::detail::method_mask>(mask_of(method::delete_) | mask_of(method::post))) ==
        "POST, DELETE, OPTIONS");
  const auto every = static_cast<ar::detail::method_mask>(mask_of(method::get) | mask_of(method::post) |
                                                          mask_of(method::put) | mask_of(method::patch) |
                                                          mask_of(method::delete_) | mask_of(method::options));
  CHECK(allow_header(every) == "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
}

namespace {

// A middleware that changes the request for what runs after it.
struct identify_client {
  std::optional<response> before(request& req) const {
    if (!req.header("Authorization")) return ar::problem(status::unauthorized, "who are you?");
    req.set_attribute("user", "ada");
    req.set_header("X-Forwarded-User", "ada");
    req.set_header("authorization", "[checked]");  // replaces the field, whatever its case
    return std::nullopt;
  }
};

// Routes can be made inside templates: the path is an ordinary template argument.
template <ar::fixed_string Path, class Value>
auto constant_route(Value value) {
  return ar::get<Path>([value](request&) { return ar::text(std::to_string(value)); });
}

}  // namespace

TEST_CASE("router: middleware may change the request for the handler") {
  const auto table = ar::routes(ar::get<"/me">([](request& req) -> task<response> {
                                  co_return ar::text(std::string(req.attribute("user").value_or("?")) + " " +
                                                     std::string(req.header("X-Forwarded-User").value_or("?")) + " " +
                                                     std::string(req.header("Authorization").value_or("?")) + " " +
                                                     std::to_string(req.headers().count("authorization")) + " " +
                                                     std::string(req.attribute("missing").value_or("none")));
                                }).use(identify_client{}));

  // Through a whole app, with the header the client sends.
  ar::app app{table};
  ar::test_client client{app};
  ar::headers authorization;
  authorization.set("Authorization", "Bearer x");
  const ar::client_response res = client.get("/me", authorization);
  CHECK(res.status == status::ok);
  CHECK(res.body == "ada ada [checked] 1 none");

  check_problem(dispatch(table, method::get, "/me"), status::unauthorized, "Unauthorized", "who are you?");
}

TEST_CASE("router: routes made by a function template") {
  const auto table = ar::routes(constant_route<"/one">(1), constant_route<"/two">(2.5));
  CHECK(dispatch(table, method::get, "/one").body == "1");
  CHECK(dispatch(table, method::get, "/two").body == std::to_string(2.5));
}

TEST_CASE("router: respond() leaves a response made at once in place, and only a coroutine pending") {
  std::vector<std::string> log;
  const auto table = ar::routes(
      ar::get<"/plain/{id}">([](std::int64_t id) -> response { return ar::text("plain " + std::to_string(id)); }),
      ar::get<"/coroutine">([]() -> task<response> { co_return ar::text("coroutine"); }),
      ar::get<"/gated">([]() -> response { return ar::text("behind the gate"); }).use(key_gate{&log}),
      ar::get<"/wrapped">([]() -> response { return ar::text("wrapped"); }).use(around_tag{&log, "around"}));

  const auto respond = [&table](std::string_view target) {
    auto incoming = std::make_unique<test_request>(method::get, "GET", target);
    auto out = std::make_unique<ar::detail::answer>();
    table.respond(incoming->req, *out);
    return std::pair{std::move(incoming), std::move(out)};
  };

  SUBCASE("a plain handler") {
    const auto [incoming, out] = respond("/plain/7");
    CHECK_FALSE(out->pending.valid());
    CHECK(out->value.body == "plain 7");
  }
  SUBCASE("a coroutine handler") {
    auto [incoming, out] = respond("/coroutine");
    REQUIRE(out->pending.valid());
    CHECK(run_here(std::move(out->pending)).body == "coroutine");
  }
  SUBCASE("no route, and a parameter that does not convert") {
    for (const char* target : {"/missing", "/plain/seven"}) {
      const auto [incoming, out] = respond(target);
      CHECK_FALSE(out->pending.valid());
      CHECK(out->value.status == status::not_found);
    }
  }
  SUBCASE("a before hook: its early answer, or the plain handler behind it") {
    const auto [denied_request, denied] = respond("/gated?key=wrong");
    CHECK_FALSE(denied->pending.valid());
    CHECK(denied->value.status == status::forbidden);
    const auto [allowed_request, allowed] = respond("/gated?key=secret");
    CHECK_FALSE(allowed->pending.valid());
    CHECK(allowed->value.body == "behind the gate");
  }
  SUBCASE("an around middleware needs the coroutine") {
    auto [incoming, out] = respond("/wrapped");
    REQUIRE(out->pending.valid());
    const response res = run_here(std::move(out->pending));
    CHECK(res.body == "wrapped");
    CHECK(header(res, "X-Trace") == "around");
  }
}

TEST_CASE("router: the matched route's template is on the request, and empty when none matched") {
  const auto table = ar::routes(ar::get<"/users/{id:int}">([](std::int64_t) { return ar::text("user"); }),
                                ar::get<"/files/{rest:path}">([](std::string_view) { return ar::text("file"); }));
  const auto template_after = [&](method verb, std::string_view target) {
    test_request incoming(verb, ar::to_string(verb), target);
    (void)run_here(table(incoming.req));
    return std::string(incoming.req.route_template());
  };
  CHECK(template_after(method::get, "/users/42") == "/users/{id:int}");
  CHECK(template_after(method::get, "/files/a/b.txt") == "/files/{rest:path}");
  CHECK(template_after(method::get, "/users/not-a-number") == "");
  CHECK(template_after(method::post, "/users/42") == "");
  CHECK(template_after(method::get, "/nowhere") == "");
}
