// A handler with fewer parameters than its route has path parameters.
// expected error: a handler takes `request&` \(optional\) and then exactly one parameter per path parameter
#include <asyncrest/server/route.hpp>

auto broken = asyncrest::get<"/users/{id:int}/posts/{post}">(
    [](asyncrest::request&, std::int64_t) -> asyncrest::task<asyncrest::response> { co_return asyncrest::text("x"); });
