// A typed client call whose key names no route of the table.
// expected error: no route of the typed_client's table has the method and path of this call's key
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
  return todos.call<"GET /todo/{id}">(42);
}
