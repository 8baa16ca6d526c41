// One object per thread for one owner (a middleware and its copies): each server thread finds
// its own without a lock, and the owner can still reach them all, under a mutex, to add up counts.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace asyncrest::detail {

/// Adds one to a counter only its own thread writes (others read it): a relaxed load and store,
/// no read-modify-write on the request path.
inline void count(std::atomic<std::uint64_t>& counter) noexcept {
  counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

/// A unique number for each owner, so that a thread's list never mistakes a new owner at a freed
/// address for an old one.
inline std::uint64_t next_owner_number() noexcept {
  static std::atomic<std::uint64_t> last{0};
  return last.fetch_add(1, std::memory_order_relaxed) + 1;
}

/// Gives each thread that calls `local()` its own `T`, made by `make()` the first time. Copies
/// share the objects. A thread's object lives as long as the owner or the thread, whichever is
/// longer; a thread drops the objects of owners that are gone when it makes a new one.
template <class T>
class per_thread {
 public:
  per_thread() : shared_(std::make_shared<registry>()) {}

  /// This thread's object; `make()` returns a `std::shared_ptr<T>` when there is none yet.
  template <class Make>
  T& local(Make&& make) const {
    local_list& mine = list();
    if (mine.last != nullptr && mine.last_owner == shared_->number) return *mine.last;
    for (const local_entry& entry : mine.entries) {
      if (entry.owner == shared_->number) return remember(mine, entry);
    }
    return remember(mine, add(mine, std::forward<Make>(make)()));
  }

  /// Calls `visit(const T&)` for every thread's object, under the registry's lock: what `visit`
  /// reads must be safe to read while the owning thread writes (relaxed atomics).
  template <class Visit>
  void for_each(Visit&& visit) const {
    const std::lock_guard lock(shared_->mutex);
    for (const std::shared_ptr<T>& each : shared_->all) visit(std::as_const(*each));
  }

 private:
  struct registry {
    std::uint64_t number = next_owner_number();
    std::mutex mutex;
    std::vector<std::shared_ptr<T>> all;
  };
  struct local_entry {
    std::uint64_t owner = 0;
    std::weak_ptr<registry> alive;
    std::shared_ptr<T> value;
  };
  struct local_list {
    std::vector<local_entry> entries;
    std::uint64_t last_owner = 0;
    T* last = nullptr;
  };

  static local_list& list() {
    thread_local local_list mine;
    return mine;
  }

  T& remember(local_list& mine, const local_entry& entry) const {
    mine.last_owner = entry.owner;
    mine.last = entry.value.get();
    return *entry.value;
  }

  const local_entry& add(local_list& mine, std::shared_ptr<T> made) const {
    std::erase_if(mine.entries, [](const local_entry& entry) { return entry.alive.expired(); });
    {
      const std::lock_guard lock(shared_->mutex);
      shared_->all.push_back(made);
    }
    mine.entries.push_back({shared_->number, shared_, std::move(made)});
    return mine.entries.back();
  }

  std::shared_ptr<registry> shared_;
};

}  // namespace asyncrest::detail
