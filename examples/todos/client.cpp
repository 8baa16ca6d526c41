// A client of the todos service typed by its route table (todos_api.hpp): each call names a
// route, takes the handler's arguments, checked when this file compiles, and returns what the
// handler returns. It links none of the server's handlers.
//
//     todos_client http://127.0.0.1:8080
//
// It adds a todo, marks it done, lists the done ones, deletes it, and shows the 404 that follows.
#include "todos_api.hpp"

#include <asyncrest/asyncrest.hpp>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

namespace ar = asyncrest;

namespace {

ar::task<void> run(ar::client& http, std::string base_url) {
  const ar::typed_client<todos::api> api{http, std::move(base_url)};

  // Named before the co_await: g++ 12 miscompiles such a temporary holding strings inside one.
  const todos::new_todo tea{.title = "buy tea"};
  const ar::typed_response<todos::todo> made = co_await api.call<"POST /todos">(tea);
  std::printf("added %s at %s\n", ar::to_json(made.body).c_str(),
              std::string(made.headers.get("Location").value_or("")).c_str());

  const todos::todo_changes finished{.done = true};
  const todos::todo changed = co_await api.call<"PATCH /todos/{id}">(made.body.id, finished);
  std::printf("changed %s\n", ar::to_json(changed).c_str());

  const std::vector<todos::todo> done = co_await api.call<"GET /todos">(todos::todo_filter{.done = true});
  std::printf("done %s\n", ar::to_json(done).c_str());

  co_await api.call<"DELETE /todos/{id}">(made.body.id);
  try {
    co_await api.call<"GET /todos/{id}">(made.body.id);
  } catch (const ar::api_error& error) {
    std::printf("gone %u %s\n", ar::to_number(error.status()), error.problem().detail.c_str());
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: todos_client http://127.0.0.1:8080\n");
    return 2;
  }
  asio::io_context io;
  ar::client http{io};
  std::exception_ptr failure;
  asio::co_spawn(io, run(http, argv[1]), [&](std::exception_ptr error) { failure = error; });
  io.run();
  if (failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& error) {
      std::fprintf(stderr, "todos_client: %s\n", error.what());
    }
    return 1;
  }
}
