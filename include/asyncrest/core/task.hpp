// The coroutine type of every asynchronous operation in asyncrest.
#pragma once

// A standard header before any of Asio's: Asio decides how it allocates coroutine frames
// (aligned_alloc, or operator new) from a macro of libstdc++'s that only a standard header
// defines, and a file that includes Asio first would decide otherwise than the others, then free
// with the wrong function what another file allocated.
#include <cstddef>

#include <asio/awaitable.hpp>

namespace asyncrest {

/// A coroutine that produces a `T`. It is Asio's own awaitable, so asyncrest handlers and
/// middleware can `co_await` any Asio operation written with `asio::use_awaitable`.
template <class T = void>
using task = asio::awaitable<T>;

}  // namespace asyncrest
