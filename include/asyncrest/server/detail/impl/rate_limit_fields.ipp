// The rate limit machinery's definitions: after the public types they read are complete.
#pragma once

#include <asyncrest/server/detail/rate_limit_fields.hpp>
#include <asyncrest/server/rate_limit.hpp>

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <charconv>
#include <iterator>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_set>

namespace asyncrest::detail {

inline std::string_view address_bytes(const request& req) noexcept {
  const auto* address = reinterpret_cast<const sockaddr*>(req.remote_endpoint().data());
  if (address->sa_family == AF_INET) {
    const auto& ip4 = reinterpret_cast<const sockaddr_in*>(address)->sin_addr;
    return {reinterpret_cast<const char*>(&ip4), sizeof ip4};
  }
  if (address->sa_family == AF_INET6) {
    const auto& ip6 = reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr;
    return {reinterpret_cast<const char*>(&ip6), sizeof ip6};
  }
  return {};
}

inline std::string_view rate_limit_key_bytes(std::optional<std::string_view> chosen, const request& req) {
  thread_local std::string key;
  key.assign(1, chosen ? 'k' : 'a');
  key.append(chosen ? *chosen : address_bytes(req));
  return key;
}

inline rate_limit_outcome most_restrictive(std::span<const bucket_reading> readings, bool allowed) {
  rate_limit_outcome outcome;
  outcome.allowed = allowed;
  bool chosen = false;
  for (std::size_t index = 0; index < readings.size(); ++index) {
    const bucket_reading& reading = readings[index];
    const bucket_reading& best = readings[outcome.policy];
    bool better = !chosen;
    if (!allowed) {
      better = better || (!reading.allowed && (best.allowed || reading.until_allowed > best.until_allowed));
    } else {
      better = better || reading.remaining < best.remaining ||
               (reading.remaining == best.remaining && reading.until_full > best.until_full);
    }
    if (better && (allowed || !reading.allowed)) {
      outcome.policy = index;
      chosen = true;
    }
  }
  const bucket_reading& reported = readings[outcome.policy];
  outcome.remaining = reported.remaining;
  outcome.reset = std::chrono::nanoseconds(reported.until_full);
  for (const bucket_reading& reading : readings) {
    outcome.retry_after = std::max(outcome.retry_after, std::chrono::nanoseconds(reading.until_allowed));
  }
  return outcome;
}

inline rate_limit_fields::rate_limit_fields(const std::vector<rate_limit_policy>& policies) {
  if (policies.empty() || policies.size() > max_rate_limit_policies) {
    throw std::invalid_argument("asyncrest::rate_limit: give one to " + std::to_string(max_rate_limit_policies) +
                                " policies in rate_limit_settings::policies, not " + std::to_string(policies.size()));
  }
  std::unordered_set<std::string_view> seen;
  for (const rate_limit_policy& policy : policies) {
    const std::string quoted = "asyncrest::rate_limit: the policy \"" + policy.name + "\" ";
    const bool printable = std::all_of(policy.name.begin(), policy.name.end(), [](char each) {
      return each >= 0x20 && each <= 0x7e && each != '"' && each != '\\';
    });
    if (policy.name.empty() || !printable) {
      throw std::invalid_argument(
          "asyncrest::rate_limit: a policy's name must be a non-empty string of printable ASCII without '\"' or "
          "'\\' (it is sent in the RateLimit fields)");
    }
    if (!seen.insert(policy.name).second) {
      throw std::invalid_argument(quoted + "is named twice: the RateLimit fields tell policies apart by name");
    }
    if (policy.requests == 0) throw std::invalid_argument(quoted + "allows no requests: give requests >= 1");
    if (policy.per.count() <= 0) throw std::invalid_argument(quoted + "needs a period `per` of at least 1 s");
    const std::uint64_t burst = policy.burst == 0 ? policy.requests : policy.burst;
    const auto period = std::chrono::duration_cast<std::chrono::nanoseconds>(policy.per);
    if (policy.requests > static_cast<std::uint64_t>(period.count())) {
      throw std::invalid_argument(quoted + "allows more than one request per nanosecond");
    }
    const std::int64_t interval = period.count() / static_cast<std::int64_t>(policy.requests);
    if (burst > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max() / 4 / interval)) {
      throw std::invalid_argument(quoted + "has a burst too large to count: it would take centuries to refill");
    }
    buckets_.push_back({std::chrono::nanoseconds(interval), burst});
    names_.push_back(policy.name);
    if (!policy_field_.empty()) policy_field_ += ", ";
    policy_field_ += '"';
    policy_field_ += policy.name;
    policy_field_ += "\";q=";
    policy_field_ += std::to_string(burst);
    policy_field_ += ";w=";
    policy_field_ += std::to_string(
        seconds_rounded_up(std::chrono::nanoseconds(interval * static_cast<std::int64_t>(burst))));
  }
}

inline std::span<const token_bucket> rate_limit_fields::buckets() const noexcept { return buckets_; }

inline rate_limit_report rate_limit_fields::report(const void* limit, const rate_limit_outcome& outcome) noexcept {
  const std::uint64_t reset = seconds_rounded_up(outcome.reset);
  return {limit, outcome.remaining,
          static_cast<std::uint32_t>(std::min<std::uint64_t>(reset, std::numeric_limits<std::uint32_t>::max())),
          static_cast<std::uint32_t>(outcome.policy)};
}

inline void rate_limit_fields::decorate(response& res, const rate_limit_report& report) const {
  thread_local std::string value;
  value.assign(1, '"');
  value += names_[report.policy];
  const auto append_number = [](std::string& out, std::uint64_t number) {
    char digits[20];
    const auto written = std::to_chars(std::begin(digits), std::end(digits), number);
    out.append(std::begin(digits), written.ptr);
  };
  value += "\";r=";
  append_number(value, report.remaining);
  value += ";t=";
  append_number(value, report.reset_seconds);
  // Added, not set: both fields are lists, so a route's limit inside an app's adds its policy
  // to the app's (a second field line is the same list continued, RFC 9110 §5.3).
  res.headers.add("RateLimit-Policy", policy_field_);
  res.headers.add("RateLimit", value);
}

inline std::string rate_limit_fields::refusal_detail(const rate_limit_outcome& outcome) const {
  const std::uint64_t wait = std::max<std::uint64_t>(1, seconds_rounded_up(outcome.retry_after));
  return "too many requests: the rate limit \"" + names_[outcome.policy] + "\" is used up; retry in " +
         std::to_string(wait) + (wait == 1 ? " second" : " seconds");
}

inline std::uint64_t rate_limit_fields::seconds_rounded_up(std::chrono::nanoseconds duration) noexcept {
  if (duration.count() <= 0) return 0;
  return static_cast<std::uint64_t>((duration.count() + 999'999'999) / 1'000'000'000);
}

}  // namespace asyncrest::detail
