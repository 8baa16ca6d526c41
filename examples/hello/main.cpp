// The hello example: plain text, JSON, a path parameter and a JSON body.
#include <asyncrest/server.hpp>

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
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

  // The port comes from PORT, as on most hosting platforms; 0 lets the system pick a free one.
  std::uint16_t port = 8080;
  if (const char* text = std::getenv("PORT")) {
    auto [end, error] = std::from_chars(text, text + std::strlen(text), port);
    if (error != std::errc{} || *end != '\0') {
      std::fprintf(stderr, "hello: PORT must be a number from 0 to 65535, not \"%s\"\n", text);
      return 2;
    }
  }

  ar::app app{routes};
  port = app.listen({.host = "127.0.0.1", .port = port});
  std::printf("hello: listening on http://127.0.0.1:%u\n", static_cast<unsigned>(port));
  std::fflush(stdout);
  app.run();  // Ctrl-C drains requests in flight, then returns
}
