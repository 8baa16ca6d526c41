// A path parameter that fills only part of its segment.
// expected error: a path parameter must fill a whole segment, as in /files/\{name\}, not /files/x\{name\}
#include <asyncrest/server/router.hpp>

auto broken = asyncrest::routes(asyncrest::get<"/files/{name}.txt">(
    []() -> asyncrest::task<asyncrest::response> { co_return asyncrest::text("x"); }));
