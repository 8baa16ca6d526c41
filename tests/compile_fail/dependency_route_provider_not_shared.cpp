// A provider given to one route with .use() serves that route only: another route whose handler
// asks for the same type is refused, by its own path.
// expected error: '/', 'r', 'e', 'p', 'o', 'r', 't', 's'>, shop::database_session>.*nothing provides a T to its route
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
      asyncrest::get<"/orders">([](asyncrest::depends<shop::database_session>) {
        return asyncrest::text("x");
      }).use(asyncrest::provide<shop::database_session>([] { return shop::database_session{1}; })),
      asyncrest::get<"/reports">([](asyncrest::depends<shop::database_session>) { return asyncrest::text("x"); }))};
}
