// Distributed tracing: a span per request, continued from the caller's W3C `traceparent`,
// continued again in the calls the handler makes with the client, and exported to an
// OpenTelemetry collector (OTLP over HTTP, JSON encoding) by a thread of its own.
//
//     ar::app app{routes, ar::request_ids{}, ar::tracing{}};       // OTEL_* variables, or:
//     ar::tracing{{.endpoint = "http://collector:4318/v1/traces", .service_name = "orders"}}
//
//     // in a handler: the call is a child span, and the other service continues the trace
//     ar::client http{co_await asio::this_coro::executor};
//     co_await http.get("http://users/users/7");        // sends traceparent, records a CLIENT span
//
// - The server span continues an incoming valid `traceparent` (its trace id, its span as the
//   parent, its sampled flag: parent-based sampling); without one the request starts a trace,
//   sampled with probability `root_sample_ratio`. `tracestate` is kept as received when valid
//   (at most 32 members and 512 bytes) and dropped otherwise.
// - The span is kept in the request's context as a `span_context` (core/trace_context.hpp);
//   the access log writes its trace id. It ends when the response is ready (before its body is
//   sent), with the attributes of OpenTelemetry's HTTP server conventions and status ERROR for
//   a 5xx. The request id (`request_ids`, put before this middleware) is the attribute
//   `http.request.header.x-request-id`.
// - Spans wait in a bounded queue (`queue_spans`; a full queue drops and counts, never blocks a
//   request) and leave in batches of `batch_spans`, or every `export_interval`. Destroying the
//   middleware (with its app) sends what is queued, waiting at most `shutdown_timeout`.
// - Unsampled requests carry their ids (a call made in them says "not sampled" too) but are
//   never recorded.
// - A client call finds the span of the handler it is made in through the coroutine's executor
//   (`needs_request_scope` below; core/detail/request_scope.hpp), correctly after any number of
//   suspensions. Code that runs on another executor names the parent:
//   `client_request::parent = &req.context().get<ar::span_context>()`.
//
// The middleware includes the client (it posts the spans with it), so <asyncrest/server.hpp>
// leaves it out: include <asyncrest/server/tracing.hpp> or <asyncrest/asyncrest.hpp>.
#pragma once

#include <asyncrest/core/trace_context.hpp>
#include <asyncrest/server/detail/address_text.hpp>
#include <asyncrest/server/detail/span_exporter.hpp>
#include <asyncrest/server/detail/span_name.hpp>
#include <asyncrest/server/request.hpp>
#include <asyncrest/server/request_id.hpp>
#include <asyncrest/server/response.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace asyncrest {

struct tracing_settings {
  /// Where spans are posted, used as it is. Empty: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` as it
  /// is, else `OTEL_EXPORTER_OTLP_ENDPOINT` + "/v1/traces", else http://localhost:4318/v1/traces.
  std::string endpoint;
  /// The resource attribute `service.name`. Empty: `OTEL_SERVICE_NAME`, else "unknown_service".
  std::string service_name;
  /// The fraction of new traces recorded, from 0 to 1; a continued trace follows its caller.
  double root_sample_ratio = 1.0;
  /// Finished spans waiting for export; more are dropped (and counted).
  std::size_t queue_spans = 2048;
  /// The most spans in one export request; a full batch leaves without waiting for the timer.
  std::size_t batch_spans = 512;
  std::chrono::milliseconds export_interval{1000};
  /// The longest wait, when the middleware is destroyed, for the last spans to be sent; also
  /// the limit of each export request.
  std::chrono::milliseconds shutdown_timeout{5000};
};

/// What the exporter has done, since it was made.
struct tracing_statistics {
  std::uint64_t exported = 0;        // spans the collector accepted
  std::uint64_t dropped = 0;         // spans the full queue refused
  std::uint64_t failed_batches = 0;  // export requests that failed (their spans are lost)
};

/// The middleware. Copies share one exporter.
class tracing {
 public:
  /// The app runs its connections on an executor that carries the request being handled, so
  /// that the client finds the span of the handler that calls it (core/detail/request_scope.hpp).
  static constexpr bool needs_request_scope = true;

  explicit tracing(tracing_settings settings = {})
      : root_sample_ratio_(checked(settings).root_sample_ratio),
        exporter_(std::make_shared<detail::span_exporter>(exporter_settings(settings))) {}

  std::optional<response> before(request& req) const {
    const auto incoming = req.header("traceparent");
    const auto parent = incoming ? detail::parse_traceparent(*incoming) : std::nullopt;
    std::string_view tracestate;
    if (parent) {
      if (const auto state = req.header("tracestate"); state && detail::valid_tracestate(*state)) tracestate = *state;
    }
    const std::uint8_t flags = parent          ? static_cast<std::uint8_t>(parent->flags & detail::sampled_flag)
                               : sample_root() ? detail::sampled_flag
                                               : std::uint8_t{0};
    span_context& span = req.context().emplace<span_context>(detail::span_context_access::start(
        parent ? parent->trace_id : std::string_view{}, parent ? parent->parent_id : std::string_view{}, flags,
        tracestate, &exporter_->queue()));
    if (const request_id* id = req.context().find<request_id>())
      detail::span_context_access::set_request_id(span, id->value());
    return std::nullopt;
  }

  void after(const request& req, response& res) const {
    const span_context* span = req.context().find<span_context>();
    if (span == nullptr || !span->sampled()) return;
    detail::span_record record =
        detail::span_context_access::finish(*span, detail::span_name(req), detail::span_kind::server);
    add_server_attributes(record, req, res);
    exporter_->queue().push(std::move(record));
  }

  [[nodiscard]] tracing_statistics statistics() const noexcept {
    return {exporter_->exported(), exporter_->queue().dropped(), exporter_->failed_batches()};
  }

  /// Returns once the spans finished so far have been sent (or their batch failed).
  void flush() const { exporter_->flush(); }

 private:
  bool sample_root() const noexcept {
    if (root_sample_ratio_ >= 1.0) return true;
    constexpr double scale = 1.0 / 9007199254740992.0;  // 2^-53: the generator's top 53 bits as [0, 1)
    return static_cast<double>(detail::thread_random()() >> 11u) * scale < root_sample_ratio_;
  }

  static void add_server_attributes(detail::span_record& record, const request& req, const response& res) {
    const auto code = static_cast<unsigned>(res.status);
    record.attributes.reserve(10);
    record.attributes.push_back({"http.request.method", std::string(req.method_name())});
    record.attributes.push_back({"url.path", std::string(req.raw_path())});
    if (const std::string_view route = req.route_template(); !route.empty())
      record.attributes.push_back({"http.route", std::string(route)});
    record.attributes.push_back({"url.scheme", std::string("http")});
    record.attributes.push_back({"http.response.status_code", static_cast<std::int64_t>(code)});
    record.attributes.push_back({"client.address", std::string(detail::address_text(req.remote_endpoint().address()))});
    if (const auto port = port_of_host(req.header("Host").value_or(std::string_view{})))
      record.attributes.push_back({"server.port", static_cast<std::int64_t>(*port)});
    if (const auto agent = req.header("User-Agent"))
      record.attributes.push_back({"user_agent.original", std::string(*agent)});
    std::string version = std::to_string(req.version_major());
    version += '.';
    version += std::to_string(req.version_minor());
    record.attributes.push_back({"network.protocol.version", std::move(version)});
    if (const request_id* id = req.context().find<request_id>())
      record.attributes.push_back({"http.request.header.x-request-id", std::string(id->value())});
    if (code >= 500) {
      record.status = detail::span_status::error;
      record.attributes.push_back({"error.type", std::to_string(code)});
    }
  }

  // The port of a Host field (`host`, `host:port`, `[v6]:port`): 80 when it names none.
  static std::optional<unsigned> port_of_host(std::string_view host) noexcept {
    if (host.empty()) return std::nullopt;
    const std::size_t colon = host.rfind(':');
    if (colon == std::string_view::npos || host.find(']', colon) != std::string_view::npos) return 80U;
    unsigned port = 0;
    const std::string_view digits = host.substr(colon + 1);
    if (digits.empty() || digits.size() > 5) return std::nullopt;
    for (const char digit : digits) {
      if (digit < '0' || digit > '9') return std::nullopt;
      port = port * 10 + static_cast<unsigned>(digit - '0');
    }
    if (port > 65535) return std::nullopt;
    return port;
  }

  static const tracing_settings& checked(const tracing_settings& settings) {
    if (!(settings.root_sample_ratio >= 0.0 && settings.root_sample_ratio <= 1.0))
      throw std::invalid_argument("asyncrest: tracing_settings::root_sample_ratio is a fraction from 0 to 1");
    if (settings.queue_spans == 0) throw std::invalid_argument("asyncrest: tracing_settings::queue_spans is 0");
    if (settings.batch_spans == 0) throw std::invalid_argument("asyncrest: tracing_settings::batch_spans is 0");
    return settings;
  }

  static std::string environment(const char* name) {
    const char* value = std::getenv(name);
    return value != nullptr ? std::string(value) : std::string();
  }

  static detail::span_exporter_settings exporter_settings(const tracing_settings& settings) {
    detail::span_exporter_settings made;
    made.traces_url = settings.endpoint;
    if (made.traces_url.empty()) made.traces_url = environment("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
    if (made.traces_url.empty()) {
      std::string base = environment("OTEL_EXPORTER_OTLP_ENDPOINT");
      if (base.empty()) base = "http://localhost:4318";
      while (!base.empty() && base.back() == '/') base.pop_back();
      made.traces_url = base + "/v1/traces";
    }
    made.origin.service_name = settings.service_name;
    if (made.origin.service_name.empty()) made.origin.service_name = environment("OTEL_SERVICE_NAME");
    if (made.origin.service_name.empty()) made.origin.service_name = "unknown_service";
    made.origin.scope_name = "asyncrest";
    made.origin.scope_version = "0.1.0";
    made.queue_spans = settings.queue_spans;
    made.batch_spans = settings.batch_spans;
    made.interval = settings.export_interval;
    made.shutdown_timeout = settings.shutdown_timeout;
    return made;
  }

  double root_sample_ratio_;
  std::shared_ptr<detail::span_exporter> exporter_;
};

}  // namespace asyncrest
