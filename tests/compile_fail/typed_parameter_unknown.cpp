// A handler parameter after the path parameters that is no typed parameter.
// expected error: a handler parameter after the path parameters must be json_body<T>, query<T> or header
#include <asyncrest/server/route.hpp>

#include <cstdint>
#include <vector>

auto broken = asyncrest::get<"/items/{id:int}">(
    [](std::int64_t, std::vector<int>) -> asyncrest::task<asyncrest::response> { co_return asyncrest::text("x"); });
