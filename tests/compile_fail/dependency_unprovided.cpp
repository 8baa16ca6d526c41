// A handler asks for a dependency that no middleware and no provider gives its route: the
// failing template names the route's path (a character at a time) and the type, then the message
// says what to do.
// expected error: '/', 'o', 'r', 'd', 'e', 'r', 's'>, shop::database_session>.*nothing provides a T to its route
#include <asyncrest/server/app.hpp>
#include <asyncrest/server/dependencies.hpp>
#include <asyncrest/server/router.hpp>

namespace shop {
struct database_session {
  int number;
};
}  // namespace shop

auto broken() {
  return asyncrest::app{asyncrest::routes(
      asyncrest::get<"/orders">([](asyncrest::depends<shop::database_session>) { return asyncrest::text("x"); }))};
}
