// A value both made by a provider and set by a middleware: which one the handler would get is
// not clear, so the app is refused, naming the route and the type.
// expected error: '/', 'm', 'e'>, shop::principal>.*that a provider makes and a middleware declares it sets
#include <asyncrest/server/app.hpp>
#include <asyncrest/server/dependencies.hpp>
#include <asyncrest/server/router.hpp>

#include <optional>

namespace shop {
struct principal {
  int user;
};

struct authenticate {
  using provides = asyncrest::provides<principal>;
  std::optional<asyncrest::response> before(asyncrest::request& req) const {
    req.context().emplace<principal>(1);
    return std::nullopt;
  }
};
}  // namespace shop

auto broken() {
  return asyncrest::app{asyncrest::routes(asyncrest::get<"/me">(
                            [](asyncrest::depends<shop::principal>) { return asyncrest::text("x"); })),
                        shop::authenticate{}, asyncrest::provide<shop::principal>([] { return shop::principal{2}; })};
}
