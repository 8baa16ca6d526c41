// A path parameter whose type is none of those a route knows.
// expected error: a path parameter's type must be one of int, float, str, uuid or path
#include <asyncrest/server/router.hpp>

#include <cstdint>

auto broken = asyncrest::routes(asyncrest::get<"/users/{id:integer}">(
    [](std::int64_t) -> asyncrest::task<asyncrest::response> { co_return asyncrest::text("x"); }));
