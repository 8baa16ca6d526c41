// A path parameter taken as a type a path segment cannot be converted to.
// expected error: a path parameter can be passed as an integer, a floating-point number
#include <asyncrest/server/router.hpp>

#include <vector>

auto broken = asyncrest::routes(asyncrest::get<"/items/{x}">(
    [](std::vector<int>) -> asyncrest::task<asyncrest::response> { co_return asyncrest::text("x"); }));
