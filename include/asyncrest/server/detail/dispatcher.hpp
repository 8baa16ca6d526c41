// How the server reaches the app, and the clock its deadlines use.
#pragma once

#include <asyncrest/core/task.hpp>
#include <asyncrest/server/detail/middleware_chain.hpp>
#include <asyncrest/server/middleware.hpp>
#include <asyncrest/server/request.hpp>
#include <asyncrest/server/response.hpp>
#include <asyncrest/server/settings.hpp>

#include <chrono>
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

}  // namespace asyncrest::detail
