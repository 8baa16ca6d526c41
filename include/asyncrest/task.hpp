// The coroutine type of every asynchronous operation in asyncrest.
#pragma once

#include <asio/awaitable.hpp>

namespace asyncrest {

/// A coroutine that produces a `T`. It is Asio's own awaitable, so asyncrest handlers and
/// middleware can `co_await` any Asio operation written with `asio::use_awaitable`.
template <class T = void>
using task = asio::awaitable<T>;

}  // namespace asyncrest
