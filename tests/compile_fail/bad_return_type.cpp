// A handler that returns neither a task<response> nor a response.
// expected error: a handler must return asyncrest::task<asyncrest::response> \(a coroutine\) or asyncrest::response
#include <asyncrest/server/route.hpp>

auto broken = asyncrest::get<"/count">([]() -> int { return 42; });
