// What a handler may return besides a `response`: a value written as JSON by its type.
//
//     [](std::int64_t id) -> todo { ... }                                  // 200, the todo as JSON
//     [](json_body<new_todo> in) -> std::pair<ar::status, todo> {           // the status given
//       return {ar::status::created, add(*in)};
//     }
//     [](json_body<new_todo> in) -> ar::task<ar::typed_response<todo>> {   // status and headers
//       todo made = co_await add(*in);
//       ar::typed_response<todo> out{.body = made, .status = ar::status::created};
//       out.headers.set("Location", "/todos/" + std::to_string(made.id));
//       co_return out;
//     }
//
// A value is any struct (aggregate), std::vector or map typed JSON writes (typed_json.hpp); it is
// sent as `application/json`. Each form may also be returned as a `task<...>` by a coroutine
// handler, and a handler may still return a `response` (or `task<response>`) for anything else.
#pragma once

#include <asyncrest/core/headers.hpp>
#include <asyncrest/core/status.hpp>

namespace asyncrest {

/// A value sent as JSON with the status and header fields given. The server writes
/// Content-Type (application/json unless `headers` sets one) and the framing fields.
template <class Body>
struct typed_response {
  Body body;
  asyncrest::status status = status::ok;
  asyncrest::headers headers{};
};

}  // namespace asyncrest
