// An {id:int} path parameter taken by a handler parameter that is no integer.
// expected error: an \{name:int\} path parameter needs an integer handler parameter
#include <asyncrest/server/router.hpp>

#include <string_view>

auto broken = asyncrest::routes(asyncrest::get<"/users/{id:int}">(
    [](std::string_view) -> asyncrest::task<asyncrest::response> { co_return asyncrest::text("x"); }));
