// What a client sends and what it gets back.
#pragma once

#include <asyncrest/client/body_writer.hpp>
#include <asyncrest/client/detail/body_producer.hpp>
#include <asyncrest/client/error.hpp>
#include <asyncrest/core/detail/json_parser_pool.hpp>
#include <asyncrest/core/headers.hpp>
#include <asyncrest/core/method.hpp>
#include <asyncrest/core/status.hpp>
#include <asyncrest/core/trace_context.hpp>

#include <simdjson.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace asyncrest {

namespace detail {
struct request_body_part_access;
}

/// A piece of a request body sent after `client_request::body`: bytes in memory, a file read
/// from disk while it is sent, or a stream a coroutine writes while it is sent, so that an
/// upload need not fit in memory (client/forms.hpp builds multipart bodies of them).
class request_body_part {
 public:
  [[nodiscard]] static request_body_part bytes(std::string content) {
    request_body_part part;
    part.bytes_ = std::move(content);
    return part;
  }
  /// The whole file; its size is taken when the request is sent, and a file that changes size
  /// while it is sent fails the request (`client_errc::invalid_request`).
  [[nodiscard]] static request_body_part file(std::filesystem::path path) {
    request_body_part part;
    part.file_ = std::move(path);
    part.is_file_ = true;
    return part;
  }
  /// Bytes written by `producer`, called as `task<void>(client_body_writer&)` once the request's
  /// head is sent (client/body_writer.hpp). The length is unknown, so the whole body, other
  /// parts included, is sent chunked. Copies of the part share the producer, which runs once:
  /// sending a copy after the original fails with `client_errc::invalid_request`.
  template <class Producer>
  [[nodiscard]] static request_body_part stream(Producer producer) {
    return make_stream(std::move(producer), std::nullopt);
  }
  /// The same with the body's length known: it is sent with Content-Length, and a producer that
  /// writes more or fewer bytes than `length` fails the request (`client_errc::invalid_request`).
  template <class Producer>
  [[nodiscard]] static request_body_part stream(Producer producer, std::uint64_t length) {
    return make_stream(std::move(producer), length);
  }

  [[nodiscard]] bool is_file() const noexcept { return is_file_; }
  [[nodiscard]] bool is_stream() const noexcept { return producer_ != nullptr; }
  [[nodiscard]] const std::string& content() const noexcept { return bytes_; }
  [[nodiscard]] const std::filesystem::path& file_path() const noexcept { return file_; }

 private:
  friend struct detail::request_body_part_access;

  template <class Producer>
  static request_body_part make_stream(Producer producer, std::optional<std::uint64_t> length) {
    static_assert(std::is_invocable_r_v<task<void>, Producer&, client_body_writer&>,
                  "request_body_part::stream: the producer must be callable as task<void>(client_body_writer&), "
                  "e.g. [](ar::client_body_writer& out) -> ar::task<void> { co_await out.write(piece); }");
    request_body_part part;
    part.producer_ = std::make_shared<detail::body_producer_of<Producer>>(std::move(producer), length);
    return part;
  }

  std::string bytes_;
  std::filesystem::path file_;
  bool is_file_ = false;
  std::shared_ptr<detail::body_producer> producer_;
};

/// A request for `client::request`. The client writes Host, Content-Length (or Transfer-Encoding
/// for a stream part without a length) and User-Agent (unless set here) itself; Content-Length
/// and Transfer-Encoding set here are ignored, so the framing always matches the body.
///
///     co_await http.request({ar::method::put, url, {}, R"({"done": true})"});
///
/// It has constructors rather than being an aggregate: g++ 12 miscompiles an aggregate temporary
/// holding strings when it is made inside a `co_await` expression, and that is where requests
/// are made.
struct client_request {
  client_request() = default;
  client_request(asyncrest::method verb, std::string target_url, asyncrest::headers fields = {},
                 std::string content = {})
      : method(verb), url(std::move(target_url)), headers(std::move(fields)), body(std::move(content)) {}

  asyncrest::method method = method::get;
  /// An absolute http:// or https:// URL, or one relative to `client_settings::base_url`; the
  /// path and query must already be percent-encoded.
  std::string url;
  asyncrest::headers headers;
  std::string body;
  /// Sent after `body`, in order, with one Content-Length for all (chunked, all of them, when a
  /// stream among them has no length).
  std::vector<request_body_part> body_parts;
  /// Replaces the client's total timeout for this call (zero: no limit).
  std::optional<std::chrono::milliseconds> timeout;
  /// Replaces the client's `decompress` for this call: false leaves the body as it was sent.
  std::optional<bool> decompress;
  /// The span this call is part of (a server handler's: `&req.context().get<span_context>()`,
  /// server/tracing.hpp). The call then sends a `traceparent` naming a child span of it, and
  /// records that span (kind CLIENT) when the parent is sampled. It must outlive the call.
  const span_context* parent = nullptr;
};

/// A response read in full.
struct client_response {
  asyncrest::status status = status::ok;
  asyncrest::headers headers{};
  std::string body{};
  /// The URL that answered, after any redirects.
  std::string url{};

  client_response() = default;
  client_response(const client_response& other)
      : status(other.status), headers(other.headers), body(other.body), url(other.url) {}
  client_response(client_response&&) noexcept = default;
  client_response& operator=(const client_response& other) {
    if (this != &other) *this = client_response(other);
    return *this;
  }
  client_response& operator=(client_response&&) noexcept = default;

  /// Whether the status is 2xx.
  [[nodiscard]] bool ok() const noexcept { return to_number(status) >= 200 && to_number(status) < 300; }

  /// Throws `http_status_error` for a 4xx or 5xx status.
  const client_response& raise_for_status() const {
    if (to_number(status) >= 400) {
      throw http_status_error(
          status, std::to_string(to_number(status)) + " " + std::string(reason_phrase(status)) + " from " + url);
    }
    return *this;
  }

  /// The body parsed as JSON. The element is valid while this response lives and until the next
  /// call. Throws `protocol_error` (`client_errc::invalid_json`) when the body is not JSON, which
  /// a server handler that lets it escape answers with 502: the other service failed, not the
  /// caller.
  [[nodiscard]] simdjson::dom::element json() const {
    if (!json_parser_) json_parser_ = detail::acquire_json_parser();
    auto parsed = json_parser_->parse(body.data(), body.size());
    if (parsed.error() != simdjson::SUCCESS) {
      throw protocol_error(client_errc::invalid_json, "the response from " + url + " is not valid JSON: " +
                                                          simdjson::error_message(parsed.error()));
    }
    return parsed.value_unsafe();
  }

 private:
  mutable detail::pooled_json_parser json_parser_{};
};

/// The pool's size at one moment, for monitoring and tests.
struct pool_statistics {
  /// Connections open, idle or in use, over every origin.
  std::size_t open_connections = 0;
  /// Of those, the ones idle in the pool.
  std::size_t idle_connections = 0;
};

}  // namespace asyncrest
