// A typed client call whose argument does not fit the handler's parameter: a string for an
// {id:int} path parameter.
// expected error: a typed_client call's argument does not fit the route handler's parameter
#include <asyncrest/client/typed_client.hpp>

#include <cstdint>
#include <string>

struct todo {
  std::int64_t id = 0;
  std::string title;
};

todo find_todo(std::int64_t id);
using api = decltype(asyncrest::routes(asyncrest::get<"/todos/{id:int}">(&find_todo)));

auto broken(asyncrest::client& http) {
  const asyncrest::typed_client<api> todos{http};
  return todos.call<"GET /todos/{id}">(std::string("42"));
}
