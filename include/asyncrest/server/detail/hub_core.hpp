// The hub's machinery: the topics shared by all threads (behind one mutex), each topic's
// subscribers on one thread (no lock), a subscriber's bounded queue, and the wait of `next()`.
//
// Ownership, so that no handler ever points at something gone:
//   hub ──shared──> hub_core <──shared── local_topic <──shared── subscriber <──shared── subscription
//   hub_core ──raw──> local_topic   (only while it has subscribers; removed under the mutex)
//   a posted delivery or close ──shared──> local_topic
// A local topic that lost its last subscriber is removed from the core, under the mutex, before
// that subscriber lets go of it, and `publish` posts under the same mutex: so no thread is ever
// posted to once its last subscriber of a topic has gone, and a delivery already posted finds an
// empty list. The hub may go first (the core lives on with the subscribers), and the subscribers
// may go first (their io_context destroyed: their topics are removed as they go).
#pragma once

#include <asyncrest/server/hub.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/cancellation_type.hpp>
#include <asio/compose.hpp>
#include <asio/error.hpp>
#include <asio/execution/context.hpp>
#include <asio/post.hpp>
#include <asio/query.hpp>
#include <asio/steady_timer.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

namespace asyncrest::detail {

template <class Message>
class local_topic;

/// A subscriber's queue: first in, first out, never more than `capacity`. Its slots are allocated
/// as messages wait and given back when it empties after a burst, so an idle subscriber holds
/// none.
template <class Message>
class message_ring {
 public:
  using message_ptr = std::shared_ptr<const Message>;

  explicit message_ring(std::size_t capacity) noexcept : capacity_(capacity) {}

  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] bool full() const noexcept { return size_ == capacity_; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }

  /// Requires `!full()`.
  void push(message_ptr message) {
    if (size_ == slot_count_) grow();
    std::size_t index = head_ + size_;
    if (index >= slot_count_) index -= slot_count_;
    slots_[index] = std::move(message);
    ++size_;
  }

  message_ptr pop() noexcept {
    if (size_ == 0) return nullptr;
    message_ptr message = std::move(slots_[head_]);
    if (++head_ == slot_count_) head_ = 0;
    if (--size_ == 0) {
      head_ = 0;
      if (slot_count_ > kept_when_empty) clear();
    }
    return message;
  }

  void clear() noexcept {
    slots_.reset();
    slot_count_ = head_ = size_ = 0;
  }

 private:
  // A consumer that keeps up holds a few slots; one that caught up after a burst frees the rest.
  static constexpr std::size_t kept_when_empty = 8;

  void grow() {
    const std::size_t count = std::min(capacity_, std::max<std::size_t>(4, slot_count_ * 2));
    auto larger = std::make_unique<message_ptr[]>(count);
    for (std::size_t moved = 0; moved < size_; ++moved) {
      std::size_t index = head_ + moved;
      if (index >= slot_count_) index -= slot_count_;
      larger[moved] = std::move(slots_[index]);
    }
    slots_ = std::move(larger);
    slot_count_ = count;
    head_ = 0;
  }

  std::unique_ptr<message_ptr[]> slots_;
  std::size_t capacity_;
  std::size_t slot_count_ = 0;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

/// One subscription's state, on its thread. Shared by the subscription and a pending `next()`,
/// so a subscription destroyed while another coroutine waits on it wakes that coroutine safely.
template <class Message>
class subscriber {
 public:
  using message_ptr = std::shared_ptr<const Message>;

  subscriber(const asio::any_io_executor& executor, std::size_t capacity)
      : wake(executor, std::chrono::steady_clock::time_point::max()), queue(capacity) {}
  subscriber(const subscriber&) = delete;
  subscriber& operator=(const subscriber&) = delete;

  [[nodiscard]] bool open() const noexcept { return reason == subscription_end::open; }

  /// Resumes a `next()` suspended on `wake`.
  void wake_waiter() noexcept {
    if (!waiting) return;
    waiting = false;
    wake.cancel();  // a timer's cancel reports no error
  }

  /// Ends the subscription for `why`: it leaves its topic and wakes its waiter. What is queued
  /// is dropped, but for the hub's close: what was published before it is still read.
  void end(subscription_end why) noexcept {
    if (reason != subscription_end::open) return;
    reason = why;
    if (why != subscription_end::hub_closed) queue.clear();
    if (topic != nullptr) {
      std::shared_ptr<local_topic<Message>> leaving = std::move(topic);
      leaving->unlink(*this);
    }
    wake_waiter();
  }

  std::shared_ptr<local_topic<Message>> topic;  // null once ended
  subscriber* previous = nullptr;               // in the local topic's list
  subscriber* next = nullptr;
  // A `next()` that has to wait waits on this timer, which never expires: a delivery cancels it.
  // An Asio operation rather than a stored handler, so that an io_context destroyed with a
  // coroutine waiting here destroys that coroutine, and cancellation slots work as for a timer.
  asio::steady_timer wake;
  message_ring<Message> queue;
  std::uint64_t dropped = 0;
  subscription_end reason = subscription_end::open;
  bool waiting = false;  // a `next()` is suspended on `wake`
  bool busy = false;     // a `next()` is in progress
};

/// What all threads share: the topics and, for each, its local topics (one per thread with
/// subscribers). Everything here is read and written under `mutex`.
template <class Message>
class hub_core {
 public:
  using message_ptr = std::shared_ptr<const Message>;

  explicit hub_core(hub_settings chosen) : settings(chosen) {}

  /// Removes `topic`, whose last subscriber is leaving, and keeps its counts.
  void forget(local_topic<Message>& topic) noexcept {
    std::lock_guard lock(mutex);
    const auto found = topics.find(std::string_view(topic.name));
    if (found != topics.end()) {
      std::erase(found->second, &topic);
      if (found->second.empty()) topics.erase(found);
    }
    delivered_before += topic.delivered.load(std::memory_order_relaxed);
    dropped_messages_before += topic.dropped_messages.load(std::memory_order_relaxed);
    dropped_subscribers_before += topic.dropped_subscribers.load(std::memory_order_relaxed);
  }

  struct name_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view name) const noexcept { return std::hash<std::string_view>{}(name); }
  };

  const hub_settings settings;
  mutable std::mutex mutex;
  bool closed = false;
  std::unordered_map<std::string, std::vector<local_topic<Message>*>, name_hash, std::equal_to<>> topics;
  std::uint64_t published = 0;
  // The counts of local topics that are gone.
  std::uint64_t delivered_before = 0;
  std::uint64_t dropped_messages_before = 0;
  std::uint64_t dropped_subscribers_before = 0;
};

/// One topic's subscribers on one thread (one execution context). Its list is touched only by
/// that thread, so a delivery takes no lock; its counters have one writer and are read, relaxed,
/// by `statistics()`.
template <class Message>
class local_topic : public std::enable_shared_from_this<local_topic<Message>> {
 public:
  using message_ptr = std::shared_ptr<const Message>;

  local_topic(std::shared_ptr<hub_core<Message>> owner, std::string_view topic_name,
              const asio::any_io_executor& thread_executor, const asio::execution_context* thread_context)
      : core(std::move(owner)), name(topic_name), executor(thread_executor), context(thread_context) {}

  void link(subscriber<Message>& joining) noexcept {
    joining.next = first_;
    if (first_ != nullptr) first_->previous = &joining;
    first_ = &joining;
    subscriber_count.store(subscriber_count.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }

  /// The last one out removes this topic from the core, so nothing is posted here any more.
  void unlink(subscriber<Message>& leaving) noexcept {
    if (leaving.previous != nullptr)
      leaving.previous->next = leaving.next;
    else
      first_ = leaving.next;
    if (leaving.next != nullptr) leaving.next->previous = leaving.previous;
    leaving.previous = leaving.next = nullptr;
    subscriber_count.store(subscriber_count.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
    if (first_ == nullptr) core->forget(*this);
  }

  /// On this topic's thread: the message into every local subscriber's queue.
  void deliver(const message_ptr& message) {
    std::uint64_t delivered_now = 0;
    std::uint64_t dropped_now = 0;
    const bool drop_subscriber = core->settings.when_full == overflow_policy::drop_subscriber;
    for (subscriber<Message>* each = first_; each != nullptr;) {
      subscriber<Message>* const following = each->next;  // `each` may leave the list below
      if (each->queue.full()) {
        if (drop_subscriber) {
          // Counted first: the last one out folds this topic's counts into the core's.
          add(dropped_subscribers, 1);
          each->end(subscription_end::fell_behind);
          each = following;
          continue;
        }
        (void)each->queue.pop();
        ++each->dropped;
        ++dropped_now;
      }
      try {
        each->queue.push(message);
      } catch (const std::bad_alloc&) {
        // No memory for its queue to grow: this subscriber misses the message, counted as
        // dropped, rather than the exception ending the thread's event loop.
        ++each->dropped;
        ++dropped_now;
        each = following;
        continue;
      }
      ++delivered_now;
      each->wake_waiter();
      each = following;
    }
    add(delivered, delivered_now);
    add(dropped_messages, dropped_now);
  }

  /// On this topic's thread: ends every local subscription.
  void end_all(subscription_end why) noexcept {
    for (subscriber<Message>* each = first_; each != nullptr;) {
      subscriber<Message>* const following = each->next;
      each->end(why);
      each = following;
    }
  }

  const std::shared_ptr<hub_core<Message>> core;
  const std::string name;
  const asio::any_io_executor executor;
  const asio::execution_context* const context;

  // Written by this topic's thread only: a load and a store, no read-modify-write. Aligned so
  // that another thread's topic next to it in memory does not share their cache line.
  alignas(64) std::atomic<std::uint64_t> delivered{0};
  std::atomic<std::uint64_t> dropped_messages{0};
  std::atomic<std::uint64_t> dropped_subscribers{0};
  std::atomic<std::size_t> subscriber_count{0};

 private:
  static void add(std::atomic<std::uint64_t>& counter, std::uint64_t amount) noexcept {
    if (amount != 0) counter.store(counter.load(std::memory_order_relaxed) + amount, std::memory_order_relaxed);
  }

  subscriber<Message>* first_ = nullptr;
};

/// `subscription::async_next`: the next queued message, at once (posted) or once one arrives.
template <class Message>
class next_operation {
 public:
  explicit next_operation(std::shared_ptr<subscriber<Message>> state) noexcept : state_(std::move(state)) {}

  template <class Self>
  void operator()(Self& self, std::error_code = {}) {
    subscriber<Message>& waiter = *state_;
    switch (step_) {
      case step::start:
        if (waiter.busy) {
          step_ = step::refuse;
          asio::post(std::move(self));  // never completed inside the initiating call
          return;
        }
        self.reset_cancellation_state(asio::enable_total_cancellation());
        waiter.busy = true;
        step_ = step::resume;
        if (!waiter.queue.empty() || !waiter.open()) {
          asio::post(std::move(self));
          return;
        }
        waiter.waiting = true;
        waiter.wake.async_wait(std::move(self));
        return;
      case step::refuse: self.complete(asio::error::already_started, nullptr); return;
      case step::resume:
        waiter.waiting = false;
        if (self.get_cancellation_state().cancelled() != asio::cancellation_type::none) {
          waiter.busy = false;
          self.complete(asio::error::operation_aborted, nullptr);  // the queue is left as it is
          return;
        }
        if (auto message = waiter.queue.pop()) {
          waiter.busy = false;
          self.complete(std::error_code{}, std::move(message));
          return;
        }
        if (!waiter.open()) {
          waiter.busy = false;
          self.complete(std::error_code{}, nullptr);
          return;
        }
        waiter.waiting = true;  // woken with nothing to take: wait again
        waiter.wake.async_wait(std::move(self));
        return;
    }
  }

 private:
  enum class step : std::uint8_t { start, refuse, resume };
  std::shared_ptr<subscriber<Message>> state_;
  step step_ = step::start;
};

}  // namespace asyncrest::detail

namespace asyncrest {

// ---- subscription

template <class Message>
subscription<Message>& subscription<Message>::operator=(subscription&& other) noexcept {
  if (this != &other) {
    if (state_ != nullptr) state_->end(subscription_end::closed);
    state_ = std::move(other.state_);
  }
  return *this;
}

template <class Message>
subscription<Message>::~subscription() {
  if (state_ != nullptr) state_->end(subscription_end::closed);
}

template <class Message>
template <class CompletionToken>
auto subscription<Message>::async_next(CompletionToken&& token) {
  if (state_ == nullptr) throw std::logic_error("asyncrest: next() on a moved-from subscription");
  return asio::async_compose<CompletionToken, void(std::error_code, message_ptr)>(
      detail::next_operation<Message>(state_), token, state_->wake);
}

template <class Message>
typename subscription<Message>::message_ptr subscription<Message>::try_next() {
  return state_ != nullptr ? state_->queue.pop() : nullptr;
}

template <class Message>
void subscription<Message>::close() noexcept {
  if (state_ != nullptr) state_->end(subscription_end::closed);
}

template <class Message>
subscription_end subscription<Message>::end_reason() const noexcept {
  return state_ != nullptr ? state_->reason : subscription_end::closed;
}

template <class Message>
std::uint64_t subscription<Message>::dropped() const noexcept {
  return state_ != nullptr ? state_->dropped : 0;
}

template <class Message>
std::size_t subscription<Message>::queued() const noexcept {
  return state_ != nullptr ? state_->queue.size() : 0;
}

// ---- hub

template <class Message>
hub<Message>::hub(hub_settings settings) {
  if (settings.queue_capacity == 0) {
    throw std::invalid_argument("asyncrest::hub: hub_settings::queue_capacity must be at least 1");
  }
  core_ = std::make_shared<detail::hub_core<Message>>(settings);
}

template <class Message>
hub<Message>::~hub() {
  try {
    close();
  } catch (...) {
    // Out of memory while posting the ends: those subscriptions end when their owners drop them.
  }
}

template <class Message>
subscription<Message> hub<Message>::subscribe(std::string_view topic, const asio::any_io_executor& executor) {
  // Made before the lock is taken, so that a failed allocation leaves nothing registered.
  auto state = std::make_shared<detail::subscriber<Message>>(executor, core_->settings.queue_capacity);
  const asio::execution_context* context = &asio::query(executor, asio::execution::context);
  std::lock_guard lock(core_->mutex);
  if (core_->closed) {
    state->reason = subscription_end::hub_closed;
    return subscription<Message>(std::move(state));
  }
  auto found = core_->topics.find(topic);
  if (found == core_->topics.end()) found = core_->topics.try_emplace(std::string(topic)).first;
  std::vector<detail::local_topic<Message>*>& threads = found->second;
  std::shared_ptr<detail::local_topic<Message>> local;
  for (detail::local_topic<Message>* each : threads) {
    if (each->context == context) local = each->shared_from_this();
  }
  if (local == nullptr) {
    try {
      local = std::make_shared<detail::local_topic<Message>>(core_, topic, executor, context);
      threads.push_back(local.get());
    } catch (...) {
      if (threads.empty()) core_->topics.erase(found);
      throw;
    }
  }
  local->link(*state);
  state->topic = std::move(local);
  return subscription<Message>(std::move(state));
}

template <class Message>
void hub<Message>::publish(std::string_view topic, message_ptr message) {
  if (message == nullptr) throw std::invalid_argument("asyncrest::hub::publish: the message is a null pointer");
  std::lock_guard lock(core_->mutex);
  if (core_->closed) return;
  ++core_->published;
  const auto found = core_->topics.find(topic);
  if (found == core_->topics.end()) return;
  for (detail::local_topic<Message>* each : found->second) {
    asio::post(each->executor, [local = each->shared_from_this(), message] { local->deliver(message); });
  }
}

template <class Message>
std::size_t hub<Message>::subscribers(std::string_view topic) const {
  std::lock_guard lock(core_->mutex);
  const auto found = core_->topics.find(topic);
  if (found == core_->topics.end()) return 0;
  std::size_t count = 0;
  for (const detail::local_topic<Message>* each : found->second) {
    count += each->subscriber_count.load(std::memory_order_relaxed);
  }
  return count;
}

template <class Message>
hub_statistics hub<Message>::statistics() const {
  std::lock_guard lock(core_->mutex);
  hub_statistics totals;
  totals.published = core_->published;
  totals.delivered = core_->delivered_before;
  totals.dropped_messages = core_->dropped_messages_before;
  totals.dropped_subscribers = core_->dropped_subscribers_before;
  totals.topics = core_->topics.size();
  for (const auto& [name, threads] : core_->topics) {
    for (const detail::local_topic<Message>* each : threads) {
      totals.delivered += each->delivered.load(std::memory_order_relaxed);
      totals.dropped_messages += each->dropped_messages.load(std::memory_order_relaxed);
      totals.dropped_subscribers += each->dropped_subscribers.load(std::memory_order_relaxed);
      totals.subscribers += each->subscriber_count.load(std::memory_order_relaxed);
    }
  }
  return totals;
}

template <class Message>
void hub<Message>::close() {
  std::lock_guard lock(core_->mutex);
  if (core_->closed) return;
  core_->closed = true;
  for (const auto& [name, threads] : core_->topics) {
    for (detail::local_topic<Message>* each : threads) {
      asio::post(each->executor, [local = each->shared_from_this()] { local->end_all(subscription_end::hub_closed); });
    }
  }
}

template <class Message>
bool hub<Message>::is_closed() const {
  std::lock_guard lock(core_->mutex);
  return core_->closed;
}

}  // namespace asyncrest
