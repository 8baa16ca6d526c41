// A catch-all parameter followed by more segments.
// expected error: a \{name:path\} parameter takes the rest of the path, so it must be the last segment
#include <asyncrest/server/router.hpp>

auto broken = asyncrest::routes(asyncrest::get<"/files/{rest:path}/meta">(
    []() -> asyncrest::task<asyncrest::response> { co_return asyncrest::text("x"); }));
