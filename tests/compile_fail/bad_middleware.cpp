// A per-route middleware that has none of the three middleware shapes.
// expected error: a middleware must have `task<response> operator\(\)\(request&, next\) const`
#include <asyncrest/server/route.hpp>

auto broken = asyncrest::get<"/x">([]() -> asyncrest::response { return asyncrest::text("x"); }).use(42);
