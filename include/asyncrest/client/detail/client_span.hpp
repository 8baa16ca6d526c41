// A call's CLIENT span: a child of the span the call is made in, announced to the server in
// `traceparent` (and `tracestate`), recorded with the OpenTelemetry HTTP client attributes.
#pragma once

#include <asyncrest/client/detail/url.hpp>
#include <asyncrest/client/error.hpp>
#include <asyncrest/core/detail/request_scope.hpp>
#include <asyncrest/core/headers.hpp>
#include <asyncrest/core/method.hpp>
#include <asyncrest/core/status.hpp>
#include <asyncrest/core/trace_context.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace asyncrest::detail {

/// The span of the server request whose handler runs on `executor` (core/detail/request_scope.hpp),
/// or null.
[[nodiscard]] inline const span_context* ambient_span(const asio::any_io_executor& executor) noexcept {
  const request_scope* scope = request_scope_of(executor);
  return scope != nullptr && scope->context != nullptr ? scope->context->find<span_context>() : nullptr;
}

/// The `error.type` of a call that failed: the error code's name, a short fixed text.
[[nodiscard]] inline std::string client_error_type(const client_error& error) { return error.code().message(); }

class client_span {
 public:
  /// Starts a child of `parent` (nothing when it is null) and puts its fields on the request,
  /// unless the caller set them by hand: `traceparent`, `tracestate`, and the request id of
  /// the server request the parent belongs to as `X-Request-Id`.
  void start(const span_context* parent, headers& fields) {
    if (parent == nullptr) return;
    span_.emplace(span_context_access::child_of(*parent));
    if (!fields.contains("traceparent")) fields.set("traceparent", span_->traceparent());
    if (!span_->tracestate().empty() && !fields.contains("tracestate")) fields.set("tracestate", span_->tracestate());
    const std::string_view request_id = span_context_access::request_id(*span_);
    if (!request_id.empty() && !fields.contains("X-Request-Id")) fields.set("X-Request-Id", request_id);
  }

  /// Records the span: `response_status` is the final response's, or empty when the call failed
  /// without one (`failure` then names the error).
  void finish(method verb, const parsed_url& url, std::optional<status> response_status,
              std::string_view failure = {}) noexcept {
    if (!span_ || !span_->sampled()) return;
    span_queue* queue = span_context_access::queue(*span_);
    if (queue == nullptr) return;
    try {
      const std::string_view method_name = to_string(verb);
      span_record record = span_context_access::finish(*span_, std::string(method_name), span_kind::client);
      record.attributes.push_back({"http.request.method", std::string(method_name)});
      record.attributes.push_back({"server.address", url.host});
      record.attributes.push_back({"server.port", static_cast<std::int64_t>(url.port)});
      std::string full(url.scheme());
      full += "://";
      full += url.authority();
      full += url.target;
      record.attributes.push_back({"url.full", std::move(full)});
      if (response_status) {
        const auto code = to_number(*response_status);
        record.attributes.push_back({"http.response.status_code", static_cast<std::int64_t>(code)});
        if (code >= 500) {
          record.status = span_status::error;
          record.attributes.push_back({"error.type", std::to_string(code)});
        }
      } else {
        record.status = span_status::error;
        record.attributes.push_back({"error.type", std::string(failure.empty() ? "_OTHER" : failure)});
      }
      queue->push(std::move(record));
    } catch (...) {  // out of memory: the span is lost, the call is not
    }
    span_.reset();
  }

 private:
  std::optional<span_context> span_;
};

}  // namespace asyncrest::detail
