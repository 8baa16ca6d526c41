// A route path without its leading slash.
// expected error: a route path must start with '/'
#include <asyncrest/server/router.hpp>

auto broken = asyncrest::routes(asyncrest::get<"users">([]() -> asyncrest::response { return asyncrest::text("x"); }));
