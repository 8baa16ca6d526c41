// The hello example: plain text, JSON, a path parameter and a JSON body read and answered as structs.
#include <asyncrest/server.hpp>

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>

namespace ar = asyncrest;

// Plain structs are read from and written as JSON by their members' names.
struct user {
  std::int64_t id;
  std::string name;
};
struct greet_request {
  std::string name;
};
struct greeting_reply {
  std::string greeting;
};

int main() {
  auto routes =
      ar::routes(ar::get<"/">([](ar::request&) -> ar::task<ar::response> { co_return ar::text("Hello, World!"); }),
                 ar::get<"/json">([](ar::request&) -> ar::task<ar::response> {
                   co_return ar::json({{"message", "Hello World"}});
                 }),
                 ar::get<"/users/{id:int}">([](std::int64_t id) {
                   return user{id, "Ada"};
                 }),  // 200, the struct as JSON
                 // A body that is not JSON: 400; one without a string "name": 422 naming it.
                 ar::post<"/greet">([](ar::json_body<greet_request> body) -> std::pair<ar::status, greeting_reply> {
                   return {ar::status::created, greeting_reply{"Hello, " + body->name + "!"}};
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
