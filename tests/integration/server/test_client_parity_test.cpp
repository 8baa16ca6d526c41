// The test client against the real thing: the same requests sent by asyncrest::client to a server
// on a port and by the test client to a second copy of the same app get the same status, the same
// header fields in the same order (Date aside) and the same body. Middleware of each shape, path
// parameters, 404, 405, a thrown http_error, context values, cookies, a file, static files and a
// range, a stream, a HEAD, a malformed path and a streamed request body within and past its
// route's limit.
#include <asyncrest/asyncrest.hpp>

#include <support/client_runner.hpp>
#include <support/test_server.hpp>

#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ar = asyncrest;
using ar::request;
using ar::response;
using ar::status;
using ar::task;
using ar::testing::run_client;
using ar::testing::test_server;

namespace {

struct principal {
  std::string name;
};

struct authenticate {
  std::optional<response> before(request& req) const {
    const auto token = req.header("Authorization");
    if (!token) return ar::problem(status::unauthorized, "who are you?");
    req.context().emplace<principal>(std::string(token->substr(token->find(' ') + 1)));
    return std::nullopt;
  }
};

struct stamp {
  void after(const request&, response& res) const { res.headers.add("X-Order", "after"); }
};

struct around {
  task<response> operator()(request& req, ar::next rest) const {
    response res = co_await rest(req);
    res.headers.add("X-Order", "around");
    co_return res;
  }
};

/// A folder of the test's own, with one file: served by a route as a file body, and by a static
/// files mount (ranges among them).
std::filesystem::path fixture_folder() {
  static const std::filesystem::path folder = [] {
    auto made = std::filesystem::temp_directory_path() / ("asyncrest_test_client_parity_" + std::to_string(::getpid()));
    std::filesystem::create_directories(made);
    std::ofstream(made / "file.txt", std::ios::binary) << "a file's bytes, read from disk\n";
    return made;
  }();
  return folder;
}

auto make_app() {
  const std::filesystem::path file_path = fixture_folder() / "file.txt";
  return ar::app{
      ar::routes(ar::get<"/users/{id:int}">([](request& req, std::int64_t id) -> task<response> {
                   co_return ar::json({{"id", id},
                                       {"name", req.context().get<principal>().name},
                                       {"full", req.query("full").value_or("no")},
                                       {"path", req.path()}});
                 }),
                 ar::post<"/echo">([](request& req) {
                   response res = ar::text(std::string(req.body()));
                   res.headers.set("X-Length", req.header("Content-Length").value_or("none"));
                   return res;
                 }),
                 ar::get<"/conflict">([](request&) -> response { throw ar::http_error(status::conflict, "taken"); }),
                 ar::get<"/broken">([](request&) -> task<response> {
                   throw std::runtime_error("internal detail");
                   co_return ar::text("unreachable");
                 }),
                 ar::get<"/cookies">([](request& req) {
                   response res = ar::text(std::string(req.cookie("theme").value_or("none")));
                   res.set_cookie("a", "1");
                   res.set_cookie("b", "2", {.max_age = std::chrono::seconds(60)});
                   return res;
                 }),
                 ar::get<"/file">([file_path](request&) { return ar::file(file_path, "text/plain"); }),
                 ar::get<"/ticks">([](request&) {
                   return ar::stream(
                       [](ar::body_writer& out) -> task<void> {
                         for (int tick = 0; tick < 3; ++tick) co_await out.write("tick " + std::to_string(tick) + "\n");
                       },
                       "text/plain");
                 }),
                 ar::post<"/upload">([](request& req) -> task<response> {
                   std::string seen;
                   for (auto piece = co_await req.read_body(); !piece.empty(); piece = co_await req.read_body()) {
                     seen += piece;
                   }
                   co_return ar::text(std::to_string(seen.size()) + " bytes: " + seen);
                 }).body({.max_bytes = 64, .streamed = true}),
                 ar::static_files<"/static">(fixture_folder().string())),
      authenticate{}, around{}, stamp{}};
}

using app_type = decltype(make_app());

ar::headers signed_in() {
  ar::headers fields;
  fields.set("Authorization", ar::bearer_authorization("ann"));
  return fields;
}

/// A body written by a producer without a length: sent chunked.
ar::client_request upload(std::size_t pieces) {
  ar::client_request made{ar::method::post, "/upload", signed_in()};
  made.body_parts.push_back(ar::request_body_part::stream([pieces](ar::client_body_writer& out) -> task<void> {
    for (std::size_t index = 0; index < pieces; ++index) co_await out.write("0123456789");
  }));
  return made;
}

/// Each request is made afresh for each client: a stream part's producer runs once.
struct named_request {
  std::string name;
  std::function<ar::client_request()> make;
};

std::vector<named_request> requests() {
  const auto plain = [](ar::method verb, std::string url, ar::headers fields = signed_in(), std::string body = {}) {
    return [=] { return ar::client_request{verb, url, fields, body}; };
  };
  ar::headers with_cookie = signed_in();
  with_cookie.set("Cookie", "theme=dark");
  ar::headers with_range = signed_in();
  with_range.set("Range", "bytes=2-9");
  return {
      {"path parameter, query and context", plain(ar::method::get, "/users/7?full=yes")},
      {"a before hook's early answer", plain(ar::method::get, "/users/7", {})},
      {"no route", plain(ar::method::get, "/nowhere")},
      {"a method the path does not take", plain(ar::method::delete_, "/users/7")},
      {"an http_error from a plain handler", plain(ar::method::get, "/conflict")},
      {"an exception from a coroutine", plain(ar::method::get, "/broken")},
      {"a malformed percent-encoding", plain(ar::method::get, "/users/%zz")},
      {"an encoded path", plain(ar::method::get, "/users/%37")},
      {"a body in memory", plain(ar::method::post, "/echo", signed_in(), "hello")},
      {"cookies both ways", plain(ar::method::get, "/cookies", with_cookie)},
      {"a file", plain(ar::method::get, "/file")},
      {"a file's head", plain(ar::method::head, "/file")},
      {"a static file", plain(ar::method::get, "/static/file.txt")},
      {"a range of a static file", plain(ar::method::get, "/static/file.txt", with_range)},
      {"a path that would leave the static root", plain(ar::method::get, "/static/%2e%2e/file.txt")},
      {"a stream", plain(ar::method::get, "/ticks")},
      {"a stream's head", plain(ar::method::head, "/ticks")},
      {"a streamed request body", [] { return upload(3); }},
      {"a streamed request body past its route's limit", [] { return upload(8); }},
      {"a request body past its route's limit, by its Content-Length",
       plain(ar::method::post, "/upload", signed_in(), std::string(65, 'x'))},
  };
}

/// Status, fields in order without Date, and body: what the two clients must agree on.
std::string describe(const ar::client_response& res) {
  std::string text = std::to_string(ar::to_number(res.status)) + "\n";
  for (const auto& [name, value] : res.headers) {
    if (ar::iequals(name, "Date")) continue;
    text.append(name).append(": ").append(value).append("\n");
  }
  return text.append("\n").append(res.body);
}

}  // namespace

TEST_CASE("test_client: the same answers as a server on a port") {
  const std::vector<named_request> cases = requests();
  std::vector<std::string> over_the_wire;
  {
    const test_server server(make_app);
    run_client({.base_url = "http://127.0.0.1:" + std::to_string(server.port())}, [&](ar::client& http) -> task<void> {
      for (const named_request& each : cases) over_the_wire.push_back(describe(co_await http.request(each.make())));
    });
  }
  REQUIRE(over_the_wire.size() == cases.size());

  app_type in_process = make_app();
  ar::test_client local{in_process};
  for (std::size_t index = 0; index < cases.size(); ++index) {
    CAPTURE(cases[index].name);
    CHECK(describe(local.request(cases[index].make())) == over_the_wire[index]);
  }
  std::filesystem::remove_all(fixture_folder());
}
