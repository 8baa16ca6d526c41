// A finished span as the exporter sends it, and the bounded queue spans wait in: filled by the
// server's threads (server spans) and by clients (client spans), emptied by the exporter.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <new>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace asyncrest::detail {

/// OpenTelemetry's SpanKind: the numbers are OTLP's.
enum class span_kind : int { internal = 1, server = 2, client = 3 };

/// OpenTelemetry's status code: the numbers are OTLP's.
enum class span_status : int { unset = 0, ok = 1, error = 2 };

struct span_attribute {
  /// A name with static storage (a string literal, as OpenTelemetry's conventions name them):
  /// a span records several, and copying each would cost the request an allocation.
  std::string_view key;
  std::variant<std::string, std::int64_t, bool, double> value;
};

/// A trace's or span's id as its lowercase hex digits, held in place: a record is made for each
/// sampled request, and strings of 16 and 32 characters would each be an allocation. Empty, or
/// exactly `Digits` long (anything else assigned leaves it empty).
template <std::size_t Digits>
class hex_id {
 public:
  hex_id() = default;
  hex_id(std::string_view digits) noexcept { *this = digits; }  // NOLINT: implicit on purpose
  hex_id& operator=(std::string_view digits) noexcept {
    size_ = digits.size() == Digits ? Digits : 0;
    digits.copy(digits_.data(), size_);
    return *this;
  }
  operator std::string_view() const noexcept { return {digits_.data(), size_}; }  // NOLINT: implicit on purpose
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  friend bool operator==(const hex_id& id, std::string_view digits) noexcept { return std::string_view(id) == digits; }

 private:
  std::array<char, Digits> digits_{};
  std::size_t size_ = 0;
};

/// OTLP's Span.flags bits above the W3C trace flags: whether the parent's remoteness is known,
/// and that it is remote.
inline constexpr std::uint32_t otlp_flags_has_is_remote = 0x100;
inline constexpr std::uint32_t otlp_flags_is_remote = 0x200;

struct span_record {
  hex_id<32> trace_id;
  hex_id<16> span_id;
  hex_id<16> parent_span_id;  // empty for a root span
  std::string tracestate;
  std::uint8_t trace_flags = 0;
  bool parent_is_remote = false;  // the parent came from another process (a traceparent field)
  std::string name;
  span_kind kind = span_kind::server;
  std::uint64_t start_unix_nano = 0;
  std::uint64_t end_unix_nano = 0;
  span_status status = span_status::unset;
  std::vector<span_attribute> attributes;
};

[[nodiscard]] inline std::uint64_t unix_nanoseconds_now() noexcept {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

/// Spans waiting for export. `push` never blocks on the exporter: past `capacity` a span is
/// dropped and counted. When the queue reaches `batch_size` it calls `wake` once, so a busy
/// service's batches leave before the timer's turn.
class span_queue {
 public:
  using wake_function = void (*)(void* owner) noexcept;

  span_queue(std::size_t capacity, std::size_t batch_size, wake_function wake, void* owner) noexcept
      : capacity_(capacity), batch_size_(batch_size), wake_(wake), owner_(owner) {}
  span_queue(const span_queue&) = delete;
  span_queue& operator=(const span_queue&) = delete;

  void push(span_record&& span) {
    bool batch_full = false;
    {
      const std::lock_guard hold(mutex_);
      if (spans_.size() >= capacity_) {
        dropped_.fetch_add(1, std::memory_order_relaxed);
        return;
      }
      spans_.push_back(std::move(span));
      batch_full = spans_.size() == batch_size_;
    }
    if (batch_full && wake_ != nullptr) wake_(owner_);
  }

  /// Up to `most` spans, oldest first.
  [[nodiscard]] std::vector<span_record> take(std::size_t most) {
    std::vector<span_record> taken;
    const std::lock_guard hold(mutex_);
    if (spans_.size() <= most) {
      taken.swap(spans_);
      // Room for the next batch at once, rather than growing (and moving records) as it fills.
      try {
        spans_.reserve(std::min(batch_size_, capacity_));
      } catch (const std::bad_alloc&) {  // it grows as it fills instead
      }
    } else {
      const auto end = spans_.begin() + static_cast<std::ptrdiff_t>(most);
      taken.assign(std::make_move_iterator(spans_.begin()), std::make_move_iterator(end));
      spans_.erase(spans_.begin(), end);
    }
    return taken;
  }

  [[nodiscard]] std::size_t size() const {
    const std::lock_guard hold(mutex_);
    return spans_.size();
  }
  [[nodiscard]] std::uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }
  [[nodiscard]] std::size_t batch_size() const noexcept { return batch_size_; }

 private:
  const std::size_t capacity_;
  const std::size_t batch_size_;
  wake_function wake_;
  void* owner_;
  mutable std::mutex mutex_;
  std::vector<span_record> spans_;
  std::atomic<std::uint64_t> dropped_{0};
};

}  // namespace asyncrest::detail
