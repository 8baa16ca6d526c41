// The rate limit middleware's machinery, not a template: the policies checked and turned into
// token buckets, the RateLimit-Policy value made once, the RateLimit value of each answer, the
// choice of the most restrictive policy, the key's bytes, and the per-thread counts.
#pragma once

#include <asyncrest/server/detail/per_thread.hpp>
#include <asyncrest/server/detail/rate_limit_buckets.hpp>
#include <asyncrest/server/request.hpp>
#include <asyncrest/server/response.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace asyncrest {
struct rate_limit_policy;
struct rate_limit_outcome;
struct token_bucket;
}  // namespace asyncrest

namespace asyncrest::detail {

/// One thread's counts; its thread adds with a relaxed load and store (no read-modify-write),
/// other threads read them for statistics. A cache line of its own, so threads do not share one.
struct alignas(64) rate_limit_counts {
  std::atomic<std::uint64_t> allowed{0};
  std::atomic<std::uint64_t> refused{0};
};

/// What a rate limit decided for a request that passed it, kept from its before hook to its
/// after hook, which writes the RateLimit fields from it: the policy reported, the tokens left
/// and the seconds until its bucket is full again.
struct rate_limit_report {
  const void* limit = nullptr;  // the rate_limit that decided
  std::uint64_t remaining = 0;
  std::uint32_t reset_seconds = 0;
  std::uint32_t policy = 0;
};

/// The reports of the rate limits on a request's way (an app's and a route's), in the request's
/// context: the first in place, any more (rare) in a vector.
class rate_limit_reports {
 public:
  void add(const rate_limit_report& report) {
    if (first_.limit == nullptr) {
      first_ = report;
    } else {
      more_.push_back(report);
    }
  }

  /// The report of `limit`, or null when it made none (it refused, or did not run).
  [[nodiscard]] const rate_limit_report* find(const void* limit) const noexcept {
    if (first_.limit == limit) return &first_;
    for (const rate_limit_report& each : more_) {
      if (each.limit == limit) return &each;
    }
    return nullptr;
  }

 private:
  rate_limit_report first_;
  std::vector<rate_limit_report> more_;
};

/// The client address's bytes, viewing the request's endpoint: 4 for IPv4, 16 for IPv6.
inline std::string_view address_bytes(const request& req) noexcept;

/// The key the buckets are found by: the rule's key, or the client's address when it had none,
/// each with its own first byte so that neither can pose as the other. Views a per-thread buffer
/// until the next call.
inline std::string_view rate_limit_key_bytes(std::optional<std::string_view> chosen, const request& req);

/// The policy to report among the readings of one take: one that refused (the longest wait),
/// else the one with the fewest tokens left (then the longest until full).
inline rate_limit_outcome most_restrictive(std::span<const bucket_reading> readings, bool allowed);

/// The policies, checked and prepared once.
class rate_limit_fields {
 public:
  /// Throws std::invalid_argument for policies that cannot work.
  inline explicit rate_limit_fields(const std::vector<rate_limit_policy>& policies);

  [[nodiscard]] inline std::span<const token_bucket> buckets() const noexcept;
  /// What `outcome` reports, for the RateLimit field.
  [[nodiscard]] static inline rate_limit_report report(const void* limit, const rate_limit_outcome& outcome) noexcept;
  /// Adds RateLimit-Policy and RateLimit to `res`.
  inline void decorate(response& res, const rate_limit_report& report) const;
  /// The problem detail of a 429.
  [[nodiscard]] inline std::string refusal_detail(const rate_limit_outcome& outcome) const;

  /// Whole seconds, rounded up: what Retry-After and `t` carry.
  static inline std::uint64_t seconds_rounded_up(std::chrono::nanoseconds duration) noexcept;

 private:
  std::vector<token_bucket> buckets_;
  std::vector<std::string> names_;
  std::string policy_field_;
};

}  // namespace asyncrest::detail
