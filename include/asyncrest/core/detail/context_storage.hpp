// Storage for a request's typed context: values placed in a small arena that is part of the
// pooled request memory, so a middleware's value costs no allocation when it fits; a larger or
// over-aligned one goes to the heap. Destroyed, in reverse order, when the request ends.
#pragma once

#include <algorithm>
#include <cstddef>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

namespace asyncrest::detail {

/// One address per type, the same in every translation unit: the key of a context value.
template <class T>
inline constexpr char context_key = 0;

class context_storage {
 public:
  static constexpr std::size_t arena_bytes = 256;

  context_storage() = default;
  context_storage(const context_storage&) = delete;
  context_storage& operator=(const context_storage&) = delete;
  ~context_storage() { clear(); }

  template <class T>
  [[nodiscard]] T* find() const noexcept {
    for (const entry& each : entries_) {
      if (each.key == &context_key<T>) return static_cast<T*>(each.value);
    }
    return nullptr;
  }

  template <class T, class... Arguments>
  T& emplace(Arguments&&... arguments) {
    erase<T>();
    void* place = nullptr;
    bool on_heap = false;
    constexpr std::size_t alignment = alignof(T);
    const std::size_t start = (used_ + alignment - 1) / alignment * alignment;
    if (alignment <= alignof(std::max_align_t) && start + sizeof(T) <= arena_bytes) {
      place = arena_ + start;
    } else {
      place = ::operator new(sizeof(T), std::align_val_t(alignment));
      on_heap = true;
    }
    entries_.reserve(entries_.size() + 1);  // before constructing: nothing to undo if this throws
    T* value = nullptr;
    try {
      if constexpr (std::is_constructible_v<T, Arguments...>) {
        value = ::new (place) T(std::forward<Arguments>(arguments)...);
      } else {
        // An aggregate from its members' values: clang before 16 has no parenthesized
        // aggregate initialization.
        value = ::new (place) T{std::forward<Arguments>(arguments)...};
      }
    } catch (...) {
      if (on_heap) ::operator delete(place, std::align_val_t(alignment));
      throw;
    }
    if (!on_heap) used_ = start + sizeof(T);
    entries_.push_back({&context_key<T>, value, &destroy<T>, on_heap});
    return *value;
  }

  template <class T>
  bool erase() noexcept {
    const auto found =
        std::find_if(entries_.begin(), entries_.end(), [](const entry& each) { return each.key == &context_key<T>; });
    if (found == entries_.end()) return false;
    found->destroy(found->value, found->on_heap);  // its arena bytes stay used until the request ends
    entries_.erase(found);
    return true;
  }

  void clear() noexcept {
    for (auto each = entries_.rbegin(); each != entries_.rend(); ++each) each->destroy(each->value, each->on_heap);
    entries_.clear();
    used_ = 0;
  }

  [[nodiscard]] bool empty() const noexcept { return entries_.empty(); }

 private:
  struct entry {
    const void* key;
    void* value;
    void (*destroy)(void*, bool) noexcept;
    bool on_heap;
  };

  template <class T>
  static void destroy(void* value, bool on_heap) noexcept {
    static_cast<T*>(value)->~T();
    if (on_heap) ::operator delete(value, std::align_val_t(alignof(T)));
  }

  alignas(std::max_align_t) std::byte arena_[arena_bytes];
  std::size_t used_ = 0;
  std::vector<entry> entries_;
};

}  // namespace asyncrest::detail
