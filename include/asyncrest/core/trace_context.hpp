// The span a piece of work belongs to, in W3C Trace Context's terms: what the server's tracing
// middleware keeps in a request's context and what the client continues in the calls it makes.
//
//     if (const ar::span_context* span = req.context().find<ar::span_context>())
//       std::string_view trace = span->trace_id();   // 32 lowercase hex digits
#pragma once

#include <asyncrest/core/detail/random_hex.hpp>
#include <asyncrest/core/detail/span_record.hpp>
#include <asyncrest/core/detail/trace_context_syntax.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace asyncrest {

namespace detail {
struct span_context_access;
}

/// One span's identity: its trace, its own id, its parent's, and the flags and vendor state
/// passed along with them.
class span_context {
 public:
  /// 32 lowercase hexadecimal digits, shared by every span of the trace.
  [[nodiscard]] std::string_view trace_id() const noexcept { return {trace_id_.data(), trace_id_.size()}; }
  /// 16 lowercase hexadecimal digits, this span's own.
  [[nodiscard]] std::string_view span_id() const noexcept { return {span_id_.data(), span_id_.size()}; }
  /// The span this one continues (from the incoming `traceparent`), or empty for a root span.
  [[nodiscard]] std::string_view parent_span_id() const noexcept {
    return has_parent_ ? std::string_view{parent_span_id_.data(), parent_span_id_.size()} : std::string_view{};
  }
  /// The trace flags; bit 0 is "sampled".
  [[nodiscard]] std::uint8_t flags() const noexcept { return flags_; }
  /// Whether this span is recorded and exported; the spans it starts are recorded alike.
  [[nodiscard]] bool sampled() const noexcept { return (flags_ & detail::sampled_flag) != 0; }
  /// The incoming `tracestate`, as received, or empty (also when it was invalid).
  [[nodiscard]] std::string_view tracestate() const noexcept { return tracestate_; }
  /// The `traceparent` that names this span as the parent: what a call made within it sends.
  [[nodiscard]] std::string traceparent() const { return detail::write_traceparent(trace_id(), span_id(), flags_); }

 private:
  friend struct detail::span_context_access;

  std::array<char, 32> trace_id_{};
  std::array<char, 16> span_id_{};
  std::array<char, 16> parent_span_id_{};
  bool has_parent_ = false;
  bool parent_is_remote_ = false;
  std::uint8_t flags_ = 0;
  std::string tracestate_;
  std::string request_id_;  // the request's id (request_ids), sent on the calls made in it
  std::uint64_t start_unix_nano_ = 0;
  detail::span_queue* queue_ = nullptr;  // where its finished spans go; null when not recorded
};

namespace detail {

/// Makes and reads span contexts; not part of the API.
struct span_context_access {
  /// A new span: a child of `parent_trace_id`/`parent_span_id` (a remote parent, from a
  /// `traceparent`) when those are given, else the root of a new trace. Starts now.
  [[nodiscard]] static span_context start(std::string_view parent_trace_id, std::string_view parent_span_id,
                                          std::uint8_t flags, std::string_view tracestate, span_queue* queue) {
    span_context made;
    if (parent_trace_id.size() == made.trace_id_.size() && parent_span_id.size() == made.parent_span_id_.size()) {
      parent_trace_id.copy(made.trace_id_.data(), made.trace_id_.size());
      parent_span_id.copy(made.parent_span_id_.data(), made.parent_span_id_.size());
      made.has_parent_ = true;
      made.parent_is_remote_ = true;
    } else {
      do {
        write_random_hex(made.trace_id_.data(), made.trace_id_.size());
      } while (made.trace_id().find_first_not_of('0') == std::string_view::npos);
    }
    do {
      write_random_hex(made.span_id_.data(), made.span_id_.size());
    } while (made.span_id().find_first_not_of('0') == std::string_view::npos);
    made.flags_ = flags;
    made.tracestate_ = tracestate;
    made.queue_ = queue;
    made.start_unix_nano_ = unix_nanoseconds_now();
    return made;
  }

  /// A child of `parent` in the same trace, recorded where the parent is.
  [[nodiscard]] static span_context child_of(const span_context& parent) {
    span_context child = start(parent.trace_id(), parent.span_id(), parent.flags_, parent.tracestate_, parent.queue_);
    child.request_id_ = parent.request_id_;
    child.parent_is_remote_ = false;
    return child;
  }

  static void set_request_id(span_context& span, std::string_view id) { span.request_id_ = id; }
  [[nodiscard]] static std::string_view request_id(const span_context& span) noexcept { return span.request_id_; }

  [[nodiscard]] static std::uint64_t start_unix_nano(const span_context& span) noexcept {
    return span.start_unix_nano_;
  }
  [[nodiscard]] static span_queue* queue(const span_context& span) noexcept { return span.queue_; }

  /// The record of `span`, ending now, with its identity and times filled in.
  [[nodiscard]] static span_record finish(const span_context& span, std::string name, span_kind kind) {
    span_record record;
    record.trace_id = span.trace_id();
    record.span_id = span.span_id();
    record.parent_span_id = span.parent_span_id();
    record.tracestate = span.tracestate_;
    record.trace_flags = span.flags_;
    record.parent_is_remote = span.parent_is_remote_;
    record.name = std::move(name);
    record.kind = kind;
    record.start_unix_nano = span.start_unix_nano_;
    record.end_unix_nano = unix_nanoseconds_now();
    return record;
  }
};

}  // namespace detail

}  // namespace asyncrest
