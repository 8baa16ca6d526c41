// The hello example: plain text, JSON, a path parameter and a JSON body.
#include <asyncrest/asyncrest.hpp>

#include <cstdint>
#include <string>

namespace ar = asyncrest;

int main() {
  auto routes =
      ar::routes(ar::get<"/">([](ar::request&) -> ar::task<ar::response> { co_return ar::text("Hello, World!"); }),
                 ar::get<"/json">([](ar::request&) -> ar::task<ar::response> {
                   co_return ar::json({{"message", "Hello World"}});
                 }),
                 ar::get<"/users/{id:int}">([](ar::request&, std::int64_t id) -> ar::task<ar::response> {
                   co_return ar::json({{"id", id}, {"name", "Ada"}});
                 }),
                 ar::post<"/greet">([](ar::request& req) -> ar::task<ar::response> {
                   auto body = req.json();                             // invalid JSON is answered with 400
                   std::string_view name = body["name"].get_string();  // missing or not a string: 400
                   co_return ar::json({{"greeting", "Hello, " + std::string(name) + "!"}}, ar::status::created);
                 }));

  ar::app app{routes};
  app.run({.host = "127.0.0.1", .port = 8080});  // Ctrl-C drains requests in flight, then returns
}
