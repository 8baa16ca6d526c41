// Turning an exception from a handler or middleware into the response the client gets.
#pragma once

#include <asyncrest/client/error.hpp>
#include <asyncrest/core/http_error.hpp>
#include <asyncrest/core/json_errors.hpp>
#include <asyncrest/server/request.hpp>
#include <asyncrest/server/request_id.hpp>
#include <asyncrest/server/response.hpp>

#include <simdjson.h>

#include <cstdio>
#include <exception>
#include <string>
#include <string_view>

namespace asyncrest::detail {

/// `failure`: what went wrong, as "unhandled exception"; `request_line`: the method and the
/// path, as "GET /path".
inline void log_failure(std::string_view failure, std::string_view request_line, std::string_view what) noexcept {
  try {
    std::string line = "asyncrest: ";
    line.append(failure).append(" in ").append(request_line).append(": ").append(what).append("\n");
    std::fwrite(line.data(), 1, line.size(), stderr);  // one write, so threads do not interleave
  } catch (...) {
  }
}

/// With the request's id, when `request_ids` gave it one, so the line meets its access log line.
inline void log_failure(std::string_view failure, const request& req, std::string_view what) noexcept {
  try {
    std::string request_line = std::string(req.method_name()).append(" ").append(req.path());
    if (const request_id* id = req.context().find<request_id>())
      request_line.append(" (request ").append(id->value()).append(")");
    log_failure(failure, request_line, what);
  } catch (...) {
  }
}

inline void log_unhandled(std::string_view request_line, std::string_view what) noexcept {
  log_failure("unhandled exception", request_line, what);
}
inline void log_unhandled(const request& req, std::string_view what) noexcept {
  log_failure("unhandled exception", req, what);
}

/// Who is at fault decides the status:
/// - json_validation_error (a body that does not fit a type) is 422 with each error listed;
/// - http_error keeps its status and detail;
/// - simdjson's errors (a missing member, a wrong type) in a handler that read its request's body
///   as JSON mean the body had another shape than the handler expects: 400. (A handler that also
///   reads another service's JSON and lets a shape error escape cannot be told apart: catch it.)
/// - the client's errors mean a service this one depends on failed: 504 for a timeout, 502 for
///   anything else (refused, reset, malformed, not JSON), logged, with no internals for the client;
/// - anything else is the server's fault: 500, logged with the method and path, its message kept
///   from the client.
inline response response_from_exception(const std::exception_ptr& failure, const request& req) {
  try {
    std::rethrow_exception(failure);
  } catch (const json_validation_error& error) {
    return validation_problem(error.errors());
  } catch (const http_error& error) {
    return problem(error.code(), error.detail());
  } catch (const simdjson::simdjson_error& error) {
    if (request_access::body_read_as_json(req)) {
      return problem(status::bad_request,
                     std::string("the JSON body does not have the expected shape: ") + error.what());
    }
    log_unhandled(req, error.what());
  } catch (const timeout_error& error) {
    log_unhandled(req, error.what());
    return problem(status::gateway_timeout, "a service this server depends on did not answer in time");
  } catch (const client_error& error) {
    log_unhandled(req, error.what());
    return problem(status::bad_gateway, "a service this server depends on failed");
  } catch (const std::exception& error) {
    log_unhandled(req, error.what());
  } catch (...) {
    log_unhandled(req, "an exception that is not a std::exception");
  }
  return problem(status::internal_server_error, "the server could not complete the request");
}

}  // namespace asyncrest::detail
