// The request a coroutine works for, found from the coroutine's executor: how a client call
// made in a handler finds the handler's span without being told.
//
// An app whose middleware asks for it (`static constexpr bool needs_request_scope = true;`)
// runs each coroutine handler's answer on a `request_scope_executor` made for its request: the
// worker's io_context executor, a pointer to the connection's `request_scope`, and the number
// of the request it was made for. Asio resumes a coroutine through the executor it was spawned
// with, and `co_await asio::this_coro::executor` returns that executor, so a handler reads its
// own request's scope after any number of suspensions, whatever ran on the thread in between.
// A thread-local would not do: other connections' handlers run on the same thread between two
// resumptions of this one.
//
// Work the handler spawns on that executor carries the same number. The scope answers it while
// its request is handled, and no longer once the connection has moved on: such work finds its
// own request's span and deadline, or none, never the next request's. (The request's values
// live in the request's memory, which the next request reuses: keeping them for work that
// outlives the request would cost every request a copy.)
#pragma once

#include <asyncrest/core/detail/context_storage.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/execution/execute.hpp>
#include <asio/io_context.hpp>
#include <asio/query.hpp>
#include <asio/require.hpp>

#include <cstdint>
#include <type_traits>
#include <typeinfo>
#include <utility>

namespace asyncrest::detail {

/// What the connection shares with the coroutines spawned on its requests' executors: the typed
/// context of the request being handled, or null between requests.
struct request_scope {
  context_storage* context = nullptr;
  /// The number of the request `context` belongs to; it counts up with each request, and goes on
  /// counting when the scope serves another connection.
  std::uint64_t request = 0;
};

/// An executor that runs everything on `Inner` and carries a request scope and the number of
/// its request. Queries go to `Inner`; requirements (blocking.never, outstanding_work.tracked,
/// ...) give another `scoped_executor` over `Inner`'s answer, so the scope survives Asio's
/// conversions.
template <class Inner>
class scoped_executor {
 public:
  scoped_executor(Inner inner, request_scope* scope, std::uint64_t request) noexcept
      : inner_(std::move(inner)), scope_(scope), request_(request) {}

  /// The scope while the executor's request is handled; null once the connection has moved on.
  [[nodiscard]] request_scope* scope() const noexcept { return scope_->request == request_ ? scope_ : nullptr; }
  [[nodiscard]] const Inner& inner() const noexcept { return inner_; }

  template <class Function>
  void execute(Function&& function) const {
    asio::execution::execute(inner_, std::forward<Function>(function));
  }

  template <class Property>
  requires asio::can_query<const Inner&, const Property&>::value [[nodiscard]] decltype(auto) query(
      const Property& property) const noexcept(asio::is_nothrow_query<const Inner&, const Property&>::value) {
    return asio::query(inner_, property);
  }

  template <class Property>
  requires asio::can_require<const Inner&, const Property&>::value [[nodiscard]] auto require(
      const Property& property) const {
    using required = std::decay_t<decltype(asio::require(inner_, property))>;
    return scoped_executor<required>(asio::require(inner_, property), scope_, request_);
  }

  friend bool operator==(const scoped_executor& left, const scoped_executor& right) noexcept {
    return left.inner_ == right.inner_ && left.scope_ == right.scope_ && left.request_ == right.request_;
  }
  friend bool operator!=(const scoped_executor& left, const scoped_executor& right) noexcept {
    return !(left == right);
  }

 private:
  Inner inner_;
  request_scope* scope_;
  std::uint64_t request_;
};

/// What a scoped app's coroutine handlers run on.
using request_scope_executor = scoped_executor<asio::io_context::executor_type>;

// Held inside `asio::any_io_executor` without an allocation, which is what every copy of a
// handler's executor would otherwise cost.
static_assert(sizeof(request_scope_executor) <= sizeof(void*) * 3,
              "asyncrest: request_scope_executor has outgrown any_io_executor's inline storage");

/// The request scope of the coroutine whose executor is `executor`, or null when it was not
/// spawned on a `request_scope_executor` (an app without a middleware that asks for one, or a
/// coroutine of the user's own). Not inlined: where the executor's type is known at the call (an
/// `any_io_executor` made from a plain one), g++ 12 at -O3 would still follow the branch that the
/// type check rules out and warn of fields read uninitialised. A call per client request.
[[nodiscard, gnu::noinline]] inline request_scope* request_scope_of(const asio::any_io_executor& executor) noexcept {
  // Asio before 1.24 casts in target<T>() without checking the type: check it first.
  if (!executor || executor.target_type() != typeid(request_scope_executor)) return nullptr;
  return executor.target<request_scope_executor>()->scope();
}

}  // namespace asyncrest::detail
