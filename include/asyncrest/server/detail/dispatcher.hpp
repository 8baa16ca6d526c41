// How the server reaches the app, and the clock its deadlines use.
#pragma once

#include <asyncrest/core/task.hpp>
#include <asyncrest/server/detail/middleware_chain.hpp>
#include <asyncrest/server/middleware.hpp>
#include <asyncrest/server/request.hpp>
#include <asyncrest/server/response.hpp>
#include <asyncrest/server/settings.hpp>

#include <chrono>
#include <ctime>
#include <exception>
#include <string_view>

namespace asyncrest::detail {

/// A function pointer and the app it was made for: the connection loop calls the app through
/// it, so the loop is compiled once whatever the app's routes and middleware are. The app
/// leaves its answer in `out`: made already, or a coroutine for the loop to await.
struct dispatcher {
  const void* target = nullptr;
  void (*call)(const void* target, request& req, answer& out) = nullptr;
  /// The body settings of the route a request's head leads to; null when no route has any, so
  /// that the connection looks nothing up.
  const route_body_settings* (*body_settings_for)(const void* target, method verb, std::string_view raw_path,
                                                  workspace& space) = nullptr;
  /// Whether connections run on a `request_scope_executor` (core/detail/request_scope.hpp):
  /// set when a middleware of the app asks for it, so other apps' connections pay nothing.
  bool request_scopes = false;
};

using clock = std::chrono::steady_clock;

/// steady_clock's time at the resolution of the kernel's tick (CLOCK_MONOTONIC_COARSE: the same
/// clock, a few milliseconds behind at most): about 5 ns a read where a full one costs 30, cheap
/// enough for every socket read. What it measures (how long a request waited) is compared with
/// limits of tens of milliseconds and more.
inline clock::time_point coarse_now() noexcept {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
  return clock::time_point(std::chrono::duration_cast<clock::duration>(std::chrono::seconds(now.tv_sec) +
                                                                       std::chrono::nanoseconds(now.tv_nsec)));
}

/// Starts the app's answer to a request whose views are filled: a 400 for a path that does not
/// percent-decode, else what the app answers, at once in `reply.value` or as a task left in
/// `reply.pending`. What the app throws becomes the problem response the client gets. The
/// connection and the test client both answer through this (and the test client through
/// `finish_answer`, whose work the connection does inline), so a test sees what a client would.
inline void start_answer(const dispatcher& dispatch, request& req, answer& reply, bool path_decodes) {
  if (!path_decodes) {
    reply.value = problem(status::bad_request, "the request path has a malformed percent-encoding");
    return;
  }
  try {
    dispatch.call(dispatch.target, req, reply);
  } catch (...) {
    reply.pending = {};
    reply.value = response_from_exception(std::current_exception(), req);
  }
}

/// Awaits an answer `start_answer` left pending; what it throws becomes its problem response.
/// (The test client's; the connection does the same in its own frame, where a frame of this
/// function's would cost every coroutine handler's request an allocation.)
inline task<void> finish_answer(request& req, answer& reply) {
  std::exception_ptr failure;
  try {
    reply.value = co_await std::move(reply.pending);
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure) reply.value = response_from_exception(failure, req);
}

}  // namespace asyncrest::detail
