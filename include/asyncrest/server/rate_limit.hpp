// Rate limits: how many requests a client may make, as token buckets, with the RateLimit fields
// that tell it where it stands.
//
//     ar::rate_limit limit{{.policies = {{.name = "burst", .requests = 10, .per = 1s, .burst = 20},
//                                        {.name = "hourly", .requests = 1000, .per = 1h}}}};
//     ar::app app{routes, limit};                                  // every route
//     ar::get<"/search">(handler).use(limit)                       // or one route
//
//     // keyed by a header, or by what an authentication middleware put in the context:
//     ar::rate_limit{settings, ar::header_key{"X-Api-Key"}}
//     ar::rate_limit{settings, ar::key_from_context<principal>([](const principal& who) -> const std::string& {
//       return who.user;
//     })}
//
// A policy lets `requests` in every `per`, and saves up to `burst` (by default `requests`) for a
// client that was quiet. A request must pass every policy; one that does not is answered 429
// with a problem body and Retry-After (seconds, rounded up), and costs no tokens. Every response,
// refused or not, carries the fields of draft-ietf-httpapi-ratelimit-headers-12:
//
//     RateLimit-Policy: "burst";q=20;w=2, "hourly";q=1000;w=3600
//     RateLimit: "burst";r=19;t=1
//
// A policy's quota `q` is its burst and its window `w` the seconds a spent burst takes to refill
// (rounded up); RateLimit names the most restrictive policy (fewest tokens left, or the one that
// refused), with `r` the requests left now and `t` the seconds until its bucket is full again.
// The fields are added to those already there: a route's limit inside an app's reports both.
//
// Keys: the client's address by default (its bytes, IPv4 or IPv6), else what the key rule
// returns, a callable `std::optional<std::string_view>(const request&)`; a request for which the
// rule has no key is counted by its address. A key longer than `max_key_bytes` is answered 400.
//
// Exactness: each server thread has its own buckets (no lock, no atomic read-modify-write on the
// request path). A connection stays on one thread for its whole life, so one keep-alive client
// is limited exactly; a client whose connections land on N threads may get up to N times the
// burst and the rate. The memory is bounded: at most `max_keys_per_thread` keys per thread
// (about 170 bytes each, plus a key longer than 15 bytes); a key whose buckets are full again is
// idle and dropped from the least recently used end as requests come; when the table is full of
// keys that are not idle, the least recently used one is dropped (its client starts over with a
// full bucket).
//
// The store: buckets live in a `rate_limit_store`, the in-memory per-thread one by default. A
// store shared by several processes (Redis) implements the same `take`. The middleware is a
// before and after hook pair (its decision is kept in the request's context for the after hook,
// which writes the fields), so a plain handler's request costs it no coroutine frame; a store
// that must wait for the network would return `task<rate_limit_outcome>` and need the around
// form, `co_await`ing `take` where `before` now calls it.
#pragma once

#include <asyncrest/core/status.hpp>
#include <asyncrest/core/task.hpp>
#include <asyncrest/server/detail/per_thread.hpp>
#include <asyncrest/server/detail/rate_limit_buckets.hpp>
#include <asyncrest/server/detail/rate_limit_fields.hpp>
#include <asyncrest/server/middleware.hpp>
#include <asyncrest/server/request.hpp>
#include <asyncrest/server/response.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace asyncrest {

/// One limit: `requests` every `per`, with up to `burst` saved by a quiet client.
struct rate_limit_policy {
  /// Shown in the RateLimit fields: printable ASCII without '"' or '\', unique in a rate limit.
  std::string name;
  std::uint64_t requests = 0;
  std::chrono::seconds per{1};
  /// Requests a client may make at once after a quiet while; 0: `requests`.
  std::uint64_t burst = 0;
};

struct rate_limit_settings {
  /// One to four policies, all applied to every request.
  std::vector<rate_limit_policy> policies{};
  /// Keys each server thread remembers at most (see rate_limit.hpp).
  std::size_t max_keys_per_thread = 100'000;
  /// A longer key (an oversized API key, say) is answered 400.
  std::size_t max_key_bytes = 256;
};

/// A policy as a store applies it: a token every `interval`, at most `burst` tokens saved.
struct token_bucket {
  std::chrono::nanoseconds interval{};
  std::uint64_t burst = 0;
};

/// What a store's `take` decided, reported for the most restrictive policy.
struct rate_limit_outcome {
  bool allowed = true;
  /// The index of the most restrictive policy: one that refused, else the one with fewest tokens left.
  std::size_t policy = 0;
  /// Tokens left in that policy's bucket after this request.
  std::uint64_t remaining = 0;
  /// Until that policy's bucket is full again.
  std::chrono::nanoseconds reset{};
  /// When refused: until the request would pass every policy.
  std::chrono::nanoseconds retry_after{};
};

/// Counts since the rate limit was made, added over the threads; from any thread.
struct rate_limit_statistics {
  std::uint64_t allowed = 0;
  std::uint64_t refused = 0;
  /// Keys held now, and keys dropped before they were idle because a table was full (stores
  /// that keep no such counts leave them 0).
  std::uint64_t keys = 0;
  std::uint64_t evicted_keys = 0;
};

/// Where buckets live: `take` takes `tokens` from the key's bucket of every policy at `now`, or
/// from none when one of them refuses.
template <class Store, class Clock>
concept rate_limit_store = requires(const Store& store, std::string_view key, std::span<const token_bucket> buckets,
                                    std::uint64_t tokens, typename Clock::time_point now) {
  { store.take(key, buckets, tokens, now) } -> std::same_as<rate_limit_outcome>;
};

/// The default store: each thread's buckets in its own table, reached without a lock. Copies
/// share the tables.
class memory_rate_limit_store {
 public:
  explicit memory_rate_limit_store(std::size_t max_keys_per_thread = 100'000) : max_keys_(max_keys_per_thread) {}

  template <class TimePoint>
  [[nodiscard]] rate_limit_outcome take(std::string_view key, std::span<const token_bucket> buckets,
                                        std::uint64_t tokens, TimePoint now) const {
    std::array<detail::bucket_rule, detail::max_rate_limit_policies> rules{};
    std::array<detail::bucket_reading, detail::max_rate_limit_policies> readings{};
    const std::size_t count = std::min(buckets.size(), detail::max_rate_limit_policies);
    for (std::size_t index = 0; index < count; ++index) {
      const std::int64_t interval = std::max<std::int64_t>(buckets[index].interval.count(), 1);
      rules[index] = {interval, interval * static_cast<std::int64_t>(buckets[index].burst)};
    }
    const std::int64_t at = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
    const bool allowed =
        table().take(key, std::span(rules.data(), count), tokens, at, std::span(readings.data(), count));
    return detail::most_restrictive(std::span<const detail::bucket_reading>(readings.data(), count), allowed);
  }

  /// Keys held by the calling thread's table.
  [[nodiscard]] std::size_t keys_on_this_thread() const { return table().keys(); }

  /// Keys held and keys evicted, over every thread's table.
  void add_counts(rate_limit_statistics& into) const {
    tables_.for_each([&](const detail::bucket_table& each) {
      into.keys += each.keys();
      into.evicted_keys += each.evicted();
    });
  }

 private:
  detail::bucket_table& table() const {
    return tables_.local([this] { return std::make_shared<detail::bucket_table>(max_keys_); });
  }

  std::size_t max_keys_;
  detail::per_thread<detail::bucket_table> tables_;
};

/// A rule that makes the key from the request: a callable `std::optional<std::string_view>(const
/// request&) const`, whose view lives as long as the request. No key: the client's address.
template <class Rule>
concept rate_limit_key = std::copy_constructible<Rule> && requires(const Rule& rule, const request& req) {
  { rule(req) } -> std::convertible_to<std::optional<std::string_view>>;
};

/// The client's address: its four (IPv4) or sixteen (IPv6) bytes.
struct client_address {
  [[nodiscard]] std::optional<std::string_view> operator()(const request& req) const noexcept {
    return detail::address_bytes(req);
  }
};

/// The value of a request header (an API key); without it, the client's address.
class header_key {
 public:
  explicit header_key(std::string name) : name_(std::move(name)) {}
  [[nodiscard]] std::optional<std::string_view> operator()(const request& req) const noexcept {
    return req.header(name_);
  }

 private:
  std::string name_;
};

/// The key `function` reads from the context value of type `Value` a middleware set (the user of
/// an authentication middleware's principal); without one, the client's address.
template <class Value, class Function>
class context_key {
  using result = std::invoke_result_t<const Function&, const Value&>;
  static_assert(std::is_convertible_v<result, std::string_view>,
                "asyncrest::key_from_context: the function must return the key as something a std::string_view "
                "can view, such as `const std::string&` (a member of the context value)");
  static_assert(std::is_reference_v<result> || !std::is_same_v<std::remove_cvref_t<result>, std::string>,
                "asyncrest::key_from_context: the function returns a new std::string, which would be gone before "
                "the key is used; return a reference to the value's member: `-> const std::string&`");

 public:
  explicit context_key(Function function) : function_(std::move(function)) {}
  [[nodiscard]] std::optional<std::string_view> operator()(const request& req) const {
    if (const Value* value = req.context().find<Value>()) return std::string_view(std::invoke(function_, *value));
    return std::nullopt;
  }

 private:
  [[no_unique_address]] Function function_;
};

/// The key read from the request's context value of type `Value`, by `function(const Value&)`.
template <class Value, class Function>
[[nodiscard]] context_key<Value, Function> key_from_context(Function function) {
  return context_key<Value, Function>(std::move(function));
}

/// The rate limit middleware (see the top of this file). Copies share their buckets and counts.
template <class KeyRule = client_address, class Clock = std::chrono::steady_clock,
          class Store = memory_rate_limit_store>
class rate_limit {
  static_assert(rate_limit_key<KeyRule>,
                "asyncrest::rate_limit: the key rule must be copyable and callable as "
                "`std::optional<std::string_view>(const request&) const`, such as header_key{\"X-Api-Key\"}");
  static_assert(rate_limit_store<Store, Clock>,
                "asyncrest::rate_limit: the store must have `rate_limit_outcome take(std::string_view key, "
                "std::span<const token_bucket>, std::uint64_t tokens, Clock::time_point now) const`");

 public:
  /// Throws std::invalid_argument for policies that cannot work, saying what to change.
  explicit rate_limit(rate_limit_settings settings,
                      KeyRule key = KeyRule{}) requires std::same_as<Store, memory_rate_limit_store>
      : rate_limit(settings, std::move(key), memory_rate_limit_store(settings.max_keys_per_thread)) {}

  rate_limit(rate_limit_settings settings, KeyRule key, Store store)
      : fields_(settings.policies),
        max_key_bytes_(settings.max_key_bytes),
        key_(std::move(key)),
        store_(std::move(store)) {}

  /// Charges the request's key, or answers 400 (a key too long) or 429 (with the fields).
  std::optional<response> before(request& req) const {
    const std::optional<std::string_view> chosen = key_(req);
    if (chosen && chosen->size() > max_key_bytes_) {
      return problem(status::bad_request, "the key the request is rate limited by is longer than " +
                                              std::to_string(max_key_bytes_) + " bytes");
    }
    const rate_limit_outcome outcome =
        store_.take(detail::rate_limit_key_bytes(chosen, req), fields_.buckets(), 1, Clock::now());
    detail::rate_limit_counts& counts = counts_.local([] { return std::make_shared<detail::rate_limit_counts>(); });
    if (!outcome.allowed) {
      detail::count(counts.refused);
      response refusal = problem(status::too_many_requests, fields_.refusal_detail(outcome));
      fields_.decorate(refusal, detail::rate_limit_fields::report(this, outcome));
      refusal.headers.set("Retry-After", std::to_string(std::max<std::uint64_t>(
                                             1, detail::rate_limit_fields::seconds_rounded_up(outcome.retry_after))));
      return refusal;
    }
    detail::count(counts.allowed);
    const detail::rate_limit_report report = detail::rate_limit_fields::report(this, outcome);
    if (auto* reports = req.context().find<detail::rate_limit_reports>()) {
      reports->add(report);  // a route's limit inside an app's: both report
    } else {
      req.context().emplace<detail::rate_limit_reports>().add(report);
    }
    return std::nullopt;
  }

  /// Adds the RateLimit fields to the response of a request this limit let through.
  void after(const request& req, response& res) const {
    const auto* reports = req.context().find<detail::rate_limit_reports>();
    if (reports == nullptr) return;
    if (const detail::rate_limit_report* report = reports->find(this)) fields_.decorate(res, *report);
  }

  [[nodiscard]] rate_limit_statistics statistics() const {
    rate_limit_statistics totals;
    counts_.for_each([&](const detail::rate_limit_counts& each) {
      totals.allowed += each.allowed.load(std::memory_order_relaxed);
      totals.refused += each.refused.load(std::memory_order_relaxed);
    });
    if constexpr (requires { store_.add_counts(totals); }) store_.add_counts(totals);
    return totals;
  }

  [[nodiscard]] const Store& store() const noexcept { return store_; }

 private:
  detail::rate_limit_fields fields_;
  std::size_t max_key_bytes_;
  [[no_unique_address]] KeyRule key_;
  Store store_;
  detail::per_thread<detail::rate_limit_counts> counts_;
};

rate_limit(rate_limit_settings)->rate_limit<client_address>;
template <class KeyRule>
rate_limit(rate_limit_settings, KeyRule) -> rate_limit<KeyRule>;

}  // namespace asyncrest

#include <asyncrest/server/detail/impl/rate_limit_fields.ipp>
