// An allocator that allocates exactly what is asked for, for Asio operations that an idle
// connection keeps pending (or that free a block another one would keep).
#pragma once

#include <cstddef>
#include <memory>

namespace asyncrest::detail {

/// Allocates exactly the size asked for. Asio's per-thread recycling hands an operation any
/// larger cached block (a write's, of several hundred bytes), which an idle stream's pending
/// wait would then hold for as long as it waits.
template <class T>
struct exact_allocator {
  using value_type = T;
  exact_allocator() noexcept = default;
  template <class U>
  explicit(false) exact_allocator(const exact_allocator<U>& /*other*/) noexcept {}
  T* allocate(std::size_t count) { return std::allocator<T>().allocate(count); }
  void deallocate(T* memory, std::size_t count) noexcept { std::allocator<T>().deallocate(memory, count); }
  friend bool operator==(const exact_allocator& /*left*/, const exact_allocator& /*right*/) noexcept { return true; }
};

}  // namespace asyncrest::detail
