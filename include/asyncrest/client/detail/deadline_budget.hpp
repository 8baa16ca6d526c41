// A call's share of the deadline of the handler it is made in: the handler's time left bounds
// the call's total timeout, found, like the tracing span, through the coroutine's executor.
#pragma once

#include <asyncrest/client/error.hpp>
#include <asyncrest/core/detail/request_scope.hpp>
#include <asyncrest/core/request_deadline.hpp>

#include <asio/any_io_executor.hpp>

#include <chrono>
#include <string>

namespace asyncrest::detail {

/// The deadline of the server request whose handler runs on `executor` (set by the server's
/// `handler_timeout`), or null.
[[nodiscard]] inline const request_deadline* ambient_deadline(const asio::any_io_executor& executor) noexcept {
  const request_scope* scope = request_scope_of(executor);
  return scope != nullptr && scope->context != nullptr ? scope->context->find<request_deadline>() : nullptr;
}

/// `limit` (zero: none) cut to the time left before `deadline` (null: none), rounded up to a
/// whole millisecond. Throws the client's total timeout error when no time is left.
[[nodiscard]] inline std::chrono::milliseconds within_deadline(std::chrono::milliseconds limit,
                                                               const request_deadline* deadline) {
  if (deadline == nullptr) return limit;
  const auto left = deadline->expires_at() - request_deadline::clock::now();
  if (left <= request_deadline::clock::duration::zero()) {
    throw timeout_error(client_errc::total_timeout,
                        "the handler the request was made in had no time left before its deadline");
  }
  const auto budget = std::chrono::ceil<std::chrono::milliseconds>(left);
  return limit.count() > 0 && limit < budget ? limit : budget;
}

}  // namespace asyncrest::detail
