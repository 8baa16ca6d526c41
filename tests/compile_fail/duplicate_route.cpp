// Two GET routes whose paths differ only in a parameter's name.
// expected error: two routes have the same method and the same path \(parameter names aside\)
#include <asyncrest/server/router.hpp>

#include <string_view>

auto broken = asyncrest::routes(
    asyncrest::get<"/a/{x}">([](std::string_view) -> asyncrest::response { return asyncrest::text("x"); }),
    asyncrest::get<"/a/{y}">([](std::string_view) -> asyncrest::response { return asyncrest::text("y"); }));
