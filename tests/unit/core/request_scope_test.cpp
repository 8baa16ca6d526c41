// The request-scope executor: a request's executor finds its scope while the request is handled,
// and none once the connection has moved on to the next one; equality counts the request.
#include <asyncrest/core/detail/request_scope.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/io_context.hpp>

#include <doctest/doctest.h>

namespace {

namespace ar = asyncrest;
using ar::detail::request_scope;
using ar::detail::request_scope_executor;
using ar::detail::request_scope_of;

}  // namespace

TEST_CASE("a request's executor finds its scope while the request lasts, and none after") {
  asio::io_context io;
  ar::detail::context_storage context;
  request_scope scope{&context, 7};
  const asio::any_io_executor executor = request_scope_executor(io.get_executor(), &scope, 7);
  const asio::any_io_executor copy = executor;  // as work a handler spawns keeps it
  REQUIRE(request_scope_of(executor) == &scope);
  CHECK(request_scope_of(copy) == &scope);
  CHECK(request_scope_of(copy)->context == &context);

  ++scope.request;  // the connection's next request
  CHECK(request_scope_of(executor) == nullptr);
  CHECK(request_scope_of(copy) == nullptr);
  const asio::any_io_executor next = request_scope_executor(io.get_executor(), &scope, 8);
  CHECK(request_scope_of(next) == &scope);
  CHECK(next != executor);

  // A coroutine of the user's own, on the io_context's executor, belongs to no request.
  CHECK(request_scope_of(asio::any_io_executor(io.get_executor())) == nullptr);
  CHECK(request_scope_of(asio::any_io_executor()) == nullptr);
}
