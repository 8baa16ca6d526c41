// The in-memory rate limit store's table: one thread's buckets by key, least recently used last,
// and the token bucket arithmetic (as a theoretical arrival time per policy, in integer
// nanoseconds, so a decision is exact and a bucket is one number).
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

namespace asyncrest::detail {

/// The most policies one rate limit applies together (per second, minute, hour and day).
inline constexpr std::size_t max_rate_limit_policies = 4;

/// One policy as the arithmetic needs it: a token every `interval`, `tolerance` = burst × interval.
struct bucket_rule {
  std::int64_t interval = 1;
  std::int64_t tolerance = 1;
};

/// What taking tokens found, per policy, in nanoseconds.
struct bucket_reading {
  bool allowed = true;
  std::uint64_t remaining = 0;
  std::int64_t until_full = 0;
  std::int64_t until_allowed = 0;  // when refused: the wait before the tokens would be there
};

/// A thread's buckets. A bucket is the time at which it will be full again (its "theoretical
/// arrival time"): taking n tokens pushes it n intervals later, and is refused when that would
/// put it more than the burst's worth of intervals past now. A bucket whose time has passed is
/// full, which is what a key never seen has: such a key is idle, and is dropped.
class bucket_table {
 public:
  explicit bucket_table(std::size_t max_keys) : max_keys_(std::max<std::size_t>(max_keys, 1)) {}
  bucket_table(const bucket_table&) = delete;
  bucket_table& operator=(const bucket_table&) = delete;

  /// Takes `tokens` from every policy's bucket of `key` at `now`, or from none when one refuses;
  /// the readings (after the take) go to `out`, one per rule. Returns whether all allowed.
  bool take(std::string_view key, std::span<const bucket_rule> rules, std::uint64_t tokens, std::int64_t now,
            std::span<bucket_reading> out) {
    drop_idle(now, 2);  // a little each time, so idle keys go even when no new key comes
    entry& found = find_or_add(key, now);
    std::array<std::int64_t, max_rate_limit_policies> pushed{};
    bool allowed = true;
    for (std::size_t index = 0; index < rules.size(); ++index) {
      const bucket_rule& rule = rules[index];
      const std::int64_t start = std::max(found.full_at[index], now);
      pushed[index] = start + static_cast<std::int64_t>(tokens) * rule.interval;
      out[index].allowed = pushed[index] - now <= rule.tolerance;
      out[index].until_allowed = out[index].allowed ? 0 : pushed[index] - rule.tolerance - now;
      allowed = allowed && out[index].allowed;
    }
    for (std::size_t index = 0; index < rules.size(); ++index) {
      const bucket_rule& rule = rules[index];
      if (allowed) found.full_at[index] = pushed[index];
      const std::int64_t full_at = std::max(found.full_at[index], now);
      out[index].remaining = static_cast<std::uint64_t>((now + rule.tolerance - full_at) / rule.interval);
      out[index].until_full = full_at - now;
    }
    found.rules = rules.size();
    return allowed;
  }

  /// Keys held now; written by the owning thread, read by any.
  [[nodiscard]] std::size_t keys() const noexcept { return key_count_.load(std::memory_order_relaxed); }
  /// Keys dropped while not idle, because the table was full.
  [[nodiscard]] std::uint64_t evicted() const noexcept { return evicted_.load(std::memory_order_relaxed); }

 private:
  struct entry {
    std::string key;
    std::array<std::int64_t, max_rate_limit_policies> full_at{};
    std::size_t rules = 0;
  };
  using order = std::list<entry>;  // most recently used first

  [[nodiscard]] static bool idle(const entry& candidate, std::int64_t now) noexcept {
    for (std::size_t index = 0; index < candidate.rules; ++index) {
      if (candidate.full_at[index] > now) return false;
    }
    return true;
  }

  entry& find_or_add(std::string_view key, std::int64_t now) {
    if (auto found = index_.find(key); found != index_.end()) {
      used_.splice(used_.begin(), used_, found->second);  // now the most recently used
      return *found->second;
    }
    if (index_.size() >= max_keys_) {
      drop_idle(now, index_.size());
      if (index_.size() >= max_keys_) {
        // Full of keys that are not idle: the least recently used one starts over with a full
        // bucket, a leniency towards a client quiet for longer than all the others.
        remove_last();
        evicted_.store(evicted_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
      }
    }
    used_.emplace_front();
    entry& added = used_.front();
    added.key.assign(key);
    added.full_at.fill(now);
    index_.emplace(std::string_view(added.key), used_.begin());
    key_count_.store(index_.size(), std::memory_order_relaxed);
    return added;
  }

  void drop_idle(std::int64_t now, std::size_t most) {
    for (; most > 0 && !used_.empty() && idle(used_.back(), now); --most) remove_last();
  }

  void remove_last() {
    index_.erase(std::string_view(used_.back().key));
    used_.pop_back();
    key_count_.store(index_.size(), std::memory_order_relaxed);
  }

  std::size_t max_keys_;
  order used_;
  std::unordered_map<std::string_view, order::iterator> index_;
  std::atomic<std::size_t> key_count_{0};
  std::atomic<std::uint64_t> evicted_{0};
};

}  // namespace asyncrest::detail
