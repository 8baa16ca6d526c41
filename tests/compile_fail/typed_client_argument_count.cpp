// A typed client call without the json_body its route's handler takes.
// expected error: a typed_client call takes one argument per parameter of its route's handler
#include <asyncrest/client/typed_client.hpp>

#include <cstdint>
#include <string>

struct todo {
  std::int64_t id = 0;
  std::string title;
};
struct todo_changes {
  std::string title;
};

todo change_todo(std::int64_t id, asyncrest::json_body<todo_changes> changes);
using api = decltype(asyncrest::routes(asyncrest::patch<"/todos/{id:int}">(&change_todo)));

auto broken(asyncrest::client& http) {
  const asyncrest::typed_client<api> todos{http};
  return todos.call<"PATCH /todos/{id}">(42);
}
